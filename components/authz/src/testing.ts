export { principalWith } from './testing/principals';
