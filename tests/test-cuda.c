/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CUDA: the GPU writes into a region's registered mapping (cuMemHostRegister); a peer reads it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "testlib.h"

/* The few driver API calls needed, declared by hand: nothing CUDA at build time. */
typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef void *CUcontext;
#define CU_MEMHOSTREGISTER_DEVICEMAP 0x02

static struct {
	void *lib;
	CUresult (*init)(unsigned int);
	CUresult (*device_get)(int *, int);
	CUresult (*ctx_create)(CUcontext *, unsigned int, int);
	CUresult (*ctx_destroy)(CUcontext);
	CUresult (*host_register)(void *, size_t, unsigned int);
	CUresult (*host_unregister)(void *);
	CUresult (*device_pointer)(CUdeviceptr *, void *, unsigned int);
	CUresult (*memset_d32)(CUdeviceptr, unsigned int, size_t);
	CUresult (*synchronize)(void);
} cu;

#define SIZE (4u << 20)
#define VALUE 0xc0dac0deu

static bool load_cuda(char *why, size_t len)
{
	cu.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!cu.lib) {
		snprintf(why, len, "no NVIDIA driver here: dlopen(libcuda.so.1): %s", dlerror());
		return false;
	}
#define SYM(field, name) *(void **)&cu.field = dlsym(cu.lib, name)
	SYM(init, "cuInit");
	SYM(device_get, "cuDeviceGet");
	SYM(ctx_create, "cuCtxCreate_v2");
	SYM(ctx_destroy, "cuCtxDestroy_v2");
	SYM(host_register, "cuMemHostRegister_v2");
	SYM(host_unregister, "cuMemHostUnregister");
	SYM(device_pointer, "cuMemHostGetDevicePointer_v2");
	SYM(memset_d32, "cuMemsetD32_v2");
	SYM(synchronize, "cuCtxSynchronize");
#undef SYM
	if (!cu.init || !cu.host_register || !cu.memset_d32 || !cu.synchronize ||
	    !cu.device_pointer || !cu.ctx_create) {
		snprintf(why, len, "libcuda.so.1 lacks the driver API calls this test needs");
		return false;
	}
	if (cu.init(0) != 0) {
		snprintf(why, len, "cuInit failed: a driver without a usable GPU");
		return false;
	}
	return true;
}

static _Noreturn void peer(int sock)
{
	struct sealbuf_region *r = tl_reader_wait(sock);
	const uint32_t *d;

	if (!r)
		_exit(1);
	d = sealbuf_region_data(r);
	for (size_t i = 0; i < SIZE / 4; i++)
		if (d[i] != VALUE)
			_exit(2);
	_exit(0);
}

static void gpu_writes_region(void **state)
{
	struct sealbuf_region *r = tl_region("cuda", SIZE, SEALBUF_CREATE_PREFAULT);
	CUdeviceptr dptr;
	CUcontext ctx;
	int dev, sv[2], status;
	pid_t pid;

	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		peer(sv[1]);
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], r, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(cu.device_get(&dev, 0), 0);
	assert_int_equal(cu.ctx_create(&ctx, 0, dev), 0);
	assert_int_equal(cu.host_register(sealbuf_region_data(r), SIZE, CU_MEMHOSTREGISTER_DEVICEMAP), 0);
	assert_int_equal(cu.device_pointer(&dptr, sealbuf_region_data(r), 0), 0);
	assert_int_equal(cu.memset_d32(dptr, VALUE, SIZE / 4), 0); /* the GPU writes over PCIe */
	assert_int_equal(cu.synchronize(), 0);
	assert_int_equal(write(sv[0], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("the GPU wrote 4 MiB into the registered region; the peer read it in place\n");
	assert_int_equal(cu.host_unregister(sealbuf_region_data(r)), 0);
	cu.ctx_destroy(ctx);
	close(sv[0]);
	sealbuf_region_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = { TL_TEST(gpu_writes_region) };
	char why[256];

	if (!load_cuda(why, sizeof(why)))
		tl_skip("%s", why);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
