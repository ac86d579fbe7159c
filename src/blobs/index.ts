// Blob store entry point: the interface and the filesystem implementation we ship.
export { FsBlobStore, sha256File } from './fs.js';
export type { BlobInfo, BlobStore, PutFileOptions } from './types.js';
