//! IDX parsing from any reader; gzip is detected by its magic bytes, not the file name.
