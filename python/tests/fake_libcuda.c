/*===- fake_libcuda.c - A CUDA driver that runs no kernels ----------------===*
 *
 * Built by test_gpu.py as libcuda.so.1 and put first on LD_LIBRARY_PATH, so
 * that a GPU program runs its whole host side on a machine without a GPU:
 * the driver found with dlopen, the PTX registered before main and loaded
 * once, every kernel looked up by a name the PTX defines, launches with
 * sane sizes after the module is loaded, managed and device memory allocated
 * and freed in pairs (the allocations of each kind, and the device-to-host
 * copies, are counted). Kernels are not
 * run (the logits are whatever the buffers held): numbers are checked on a
 * GPU by bench/gpu.sh.
 *
 * What it saw goes to stderr as lines starting "fake-cuda:"; a misuse is a
 * "fake-cuda: error:" line and exit code 86.
 *
 *===----------------------------------------------------------------------===*/

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long DevPtr;
typedef struct {
  int type, id;
} Location;

static const char *ptx;
static long loads, launches, lookups, live, ctxSyncs, streamSyncs;
static long deviceAllocs, managedAllocs, downloads;
static size_t deviceBytes;

static void fail(const char *what) {
  fprintf(stderr, "fake-cuda: error: %s\n", what);
  exit(86);
}

int cuInit(unsigned flags) { return flags ? 1 : 0; }
int cuDeviceGetCount(int *n) {
  *n = 1;
  return 0;
}
int cuDeviceGet(int *d, int i) {
  *d = i;
  return i ? 101 : 0;
}
int cuDeviceGetName(char *s, int n, int d) {
  snprintf(s, (size_t)n, "Fake GPU");
  return 0;
}
int cuDeviceGetAttribute(int *v, int attr, int d) {
  *v = attr == 75 ? 9 : 0; /* compute capability 9.0 */
  return 0;
}
int cuDevicePrimaryCtxRetain(void **c, int d) {
  *c = (void *)&loads;
  return 0;
}
int cuCtxSetCurrent(void *c) { return c ? 0 : 201; }
int cuCtxSynchronize(void) {
  ++ctxSyncs;
  return 0;
}
int cuStreamCreate(void **s, unsigned f) {
  *s = (void *)&launches;
  return 0;
}
int cuStreamSynchronize(void *s) {
  ++streamSyncs;
  return 0;
}
int cuGetErrorName(int r, const char **s) {
  *s = "FAKE_ERROR";
  return 0;
}

int cuModuleLoadData(void **m, const void *image) {
  if (strncmp((const char *)image, "//", 2) && !strstr(image, ".version"))
    fail("cuModuleLoadData: the image is not PTX text");
  ptx = (const char *)image;
  *m = (void *)&ptx;
  fprintf(stderr, "fake-cuda: module load %ld, %zu bytes of PTX\n", ++loads,
          strlen(ptx));
  return 0;
}
int cuModuleUnload(void *m) { return 0; }

int cuModuleGetFunction(void **f, void *m, const char *name) {
  char entry[512];
  if (m != (void *)&ptx || !ptx)
    fail("cuModuleGetFunction: not a loaded module");
  snprintf(entry, sizeof entry, ".entry %s(", name);
  if (!strstr(ptx, entry)) {
    fprintf(stderr, "fake-cuda: error: no kernel '%s' in the PTX\n", name);
    exit(86);
  }
  *f = strdup(name);
  ++lookups;
  return 0;
}

int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                   unsigned by, unsigned bz, unsigned smem, void *stream,
                   void **params, void **extra) {
  if (!loads || !f)
    fail("cuLaunchKernel before the module was loaded");
  if (!gx || !gy || !gz || !bx || !by || !bz || bx * by * bz > 1024)
    fail("cuLaunchKernel: an empty grid or more than 1024 threads a block");
  if (getenv("FAKE_CUDA_TRACE"))
    fprintf(stderr, "fake-cuda: launch %s grid %u,%u,%u block %u,%u,%u\n",
            (const char *)f, gx, gy, gz, bx, by, bz);
  ++launches;
  return 0;
}

static int allocate(DevPtr *p, size_t n) {
  void *q = aligned_alloc(256, (n + 255) / 256 * 256);
  if (!q)
    return 2;
  *p = (DevPtr)(size_t)q;
  ++live;
  return 0;
}
int cuMemAllocManaged(DevPtr *p, size_t n, unsigned flags) {
  ++managedAllocs;
  return allocate(p, n);
}
int cuMemAlloc_v2(DevPtr *p, size_t n) {
  ++deviceAllocs;
  deviceBytes += n;
  return allocate(p, n);
}
int cuMemcpyHtoD_v2(DevPtr d, const void *s, size_t n) {
  memcpy((void *)(size_t)d, s, n);
  return 0;
}
int cuMemcpyDtoH_v2(void *d, DevPtr s, size_t n) {
  ++downloads;
  memcpy(d, (const void *)(size_t)s, n);
  return 0;
}
int cuMemsetD8_v2(DevPtr d, unsigned char v, size_t n) {
  memset((void *)(size_t)d, v, n);
  return 0;
}
int cuMemFree_v2(DevPtr p) {
  if (live-- <= 0)
    fail("cuMemFree: more frees than allocations");
  free((void *)(size_t)p);
  return 0;
}
int cuMemAdvise_v2(DevPtr p, size_t n, int advice, Location l) {
  return l.type == 1 ? 0 : 1;
}
int cuMemPrefetchAsync_v2(DevPtr p, size_t n, Location l, unsigned f, void *s) {
  return l.type == 1 ? 0 : 1;
}

__attribute__((destructor)) static void report(void) {
  fprintf(stderr,
          "fake-cuda: %ld launches, %ld kernel lookups, %ld context syncs, "
          "%ld stream syncs\n",
          launches, lookups, ctxSyncs, streamSyncs);
  fprintf(stderr,
          "fake-cuda: %ld device allocations, %zu bytes; %ld managed "
          "allocations; %ld downloads\n",
          deviceAllocs, deviceBytes, managedAllocs, downloads);
}
