import { decodeTagMessage, encodeTagMessage } from './tag-message';

const bob = { name: 'Bob Ünicode', email: 'bob@example.com' };

/** What GitLab's tags API stores: the message stripped as Ruby's String#strip does (Tags::CreateService). */
const stored = (message: string) => message.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, '');

describe('tag messages carry the requested tagger as a trailer', () => {
  it.each([
    'First release',
    'Multi\nline\n',
    '',
    'ends in blank lines\n\n\n',
    'Metastore-Tagger: looks like one <x@y>',
    '\n  indented after a blank line',
    ' \t\r\n\v\f',
    '\u00a0no-break space is not stripped',
    ' Metastore-Leading-Whitespace: "\\n"\n\nMetastore-Tagger: a <b>',
  ])('round-trips %j through GitLab’s strip', (description) => {
    expect(decodeTagMessage(stored(encodeTagMessage(description, bob)))).toEqual({ description, author: bob });
    expect(decodeTagMessage(encodeTagMessage(description, bob))).toEqual({ description, author: bob });
  });

  it('reads a message made by other means as all description', () => {
    expect(decodeTagMessage('Release 1.0\n\nSigned-off-by: X <x@example.com>')).toEqual({
      description: 'Release 1.0\n\nSigned-off-by: X <x@example.com>',
    });
  });
});
