/* The release version, shown by --version and /api/health. */
#ifndef RURAL24_VERSION_H
#define RURAL24_VERSION_H
#define RURAL24_VERSION "0.1.0"
#endif
