/** Pieces the operations' OpenAPI responses and parameters are built from. */

/** A reference to a schema of the document's `components.schemas`. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** JSON content of the given schema. */
export const json = (schema: object) => ({ 'application/json': { schema } });

/** An RFC 9457 problem response. */
export const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** A page of `items` (of the named component) and the cursor of the next page. */
export const page = (description: string, item: string) => ({
  description,
  content: json({
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } },
  }),
});

/** The `{owner}` and `{name}` path parameters of a dataset. */
export const pathParameters = [
  { name: 'owner', in: 'path', required: true, schema: { type: 'string' }, description: 'Organisation or user namespace.' },
  { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Dataset name.' },
];

/** The If-Match header of a write. */
export const ifMatch = {
  name: 'If-Match',
  in: 'header',
  schema: { type: 'string' },
  description: 'The revision sha (an ETag) the write is based on: 412 when the dataset moved on.',
};

/** The ETag header of a response: the revision. */
export const etagHeader = { ETag: { description: 'The revision sha, quoted.', schema: { type: 'string' } } };

/** Responses most dataset operations have. */
export const common = {
  400: problem('Invalid input: `errors` lists every problem with a JSON pointer.'),
  404: problem('Unknown dataset, ref, revision, resource or tag.'),
};

/** 409 for a descriptor stored at the revision that is not a JSON object. */
export const descriptorInvalid = problem(
  'The descriptor stored at the revision is not valid JSON or not a JSON object (DESCRIPTOR_INVALID; pushed to the repository by other means): PUT a new one or revert to a good revision.',
);

/** The responses of a write that makes a revision. */
export const writeResponses = {
  200: {
    description: 'The new head (or the unchanged head when nothing changed).',
    headers: etagHeader,
    content: json(ref('WriteResult')),
  },
  ...common,
  409: problem(
    'A concurrent writer won (REVISION_CONFLICT), or the descriptor to build on is not a JSON object (DESCRIPTOR_INVALID): PATCH cannot merge into it and revert cannot restore it; PUT replaces it.',
  ),
  412: problem('If-Match names a revision that is no longer the head.'),
  413: problem('The body is larger than the configured limit.'),
  415: problem('Wrong Content-Type, or a Content-Encoding other than identity, gzip, deflate or br.'),
};
