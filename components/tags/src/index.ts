export { TagService, validateTagName } from './lib/tag.service';
