// A host emulation of the small part of CUDA that rgenn's generated simulators use, so that their
// logic (indexing, kernel order, spike lists, block sums, the host API) can be checked against the
// CPU backend on a machine without a GPU (runtime/tests/cuda_emulated.rs).
//
// Every launch runs its blocks one after the other; the threads of a block run as fibers on the
// calling host thread (ucontext), switching at __syncthreads and inside the warp functions (which
// the generated kernels always call with the whole block). Device memory is host memory. It cannot
// show races or timing: only the GPU itself can (scripts/gpu-check.sh).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <ucontext.h>
#include <vector>

// Everything below has internal linkage: each emulated library keeps its own threads and state
// (inline variables would be merged across libraries loaded into one process).
namespace {

#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static

typedef int cudaError_t;
typedef void* cudaStream_t;
enum { cudaSuccess = 0 };
enum cudaMemcpyKind { cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2 };
constexpr unsigned cudaStreamNonBlocking = 1;

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

dim3 threadIdx;
dim3 blockIdx;
dim3 blockDim;
dim3 gridDim;

namespace emu {
// The threads of the running block: one fiber each, on this host thread.
struct Fiber {
    ucontext_t context;
    std::vector<char> stack;
    bool done = false;
};
constexpr size_t STACK_BYTES = 128 * 1024;
ucontext_t scheduler;
std::vector<Fiber> fibers;
unsigned current = 0;
const std::function<void()>* running = nullptr;
std::vector<uint64_t> slots;

// A barrier: back to the scheduler, which resumes every thread once all have reached it.
void sync() { swapcontext(&fibers[current].context, &scheduler); }

void entry() {
    (*running)();
    fibers[current].done = true;
}

// Runs the block's threads in rounds; in each, every live thread runs to its next barrier or end.
void run_block(unsigned threads) {
    if (fibers.size() < threads) {
        fibers.resize(threads);
    }
    for (unsigned t = 0; t < threads; t++) {
        Fiber& f = fibers[t];
        f.stack.resize(STACK_BYTES);
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = &scheduler;
        makecontext(&f.context, entry, 0);
        f.done = false;
    }
    for (bool live = true; live;) {
        live = false;
        for (unsigned t = 0; t < threads; t++) {
            if (fibers[t].done) {
                continue;
            }
            current = t;
            threadIdx = dim3(t);
            swapcontext(&scheduler, &fibers[t].context);
            live = live || !fibers[t].done;
        }
    }
}

// Runs `kernel` for every thread of every block of the grid, one block at a time.
void launch(dim3 grid, unsigned threads, const std::function<void()>& kernel) {
    gridDim = grid;
    blockDim = dim3(threads);
    slots.assign(threads, 0);
    running = &kernel;
    for (unsigned y = 0; y < grid.y; y++) {
        for (unsigned x = 0; x < grid.x; x++) {
            blockIdx = dim3(x, y);
            run_block(threads);
        }
    }
}
}  // namespace emu

inline void __syncthreads() { emu::sync(); }

inline int __syncthreads_or(int p) {
    emu::slots[threadIdx.x] = p != 0;
    emu::sync();
    int any = 0;
    for (uint64_t s : emu::slots) {
        any |= s != 0;
    }
    emu::sync();
    return any;
}

inline unsigned __ballot_sync(unsigned, bool p) {
    emu::slots[threadIdx.x] = p;
    emu::sync();
    const unsigned warp = threadIdx.x / 32;
    unsigned mask = 0;
    for (unsigned l = 0; l < 32; l++) {
        mask |= (emu::slots[warp * 32 + l] != 0 ? 1u : 0u) << l;
    }
    emu::sync();
    return mask;
}

template <typename T>
T __shfl_down_sync(unsigned, T v, unsigned offset) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    emu::slots[threadIdx.x] = bits;
    emu::sync();
    const unsigned lane = threadIdx.x % 32;
    T out = v;
    if (lane + offset < 32) {
        std::memcpy(&out, &emu::slots[threadIdx.x + offset], sizeof(T));
    }
    emu::sync();
    return out;
}

inline int __popc(unsigned x) { return __builtin_popcount(x); }

template <typename T>
T atomicAdd(T* p, T v) {
    const T old = *p;
    *p = old + v;
    return old;
}

inline cudaError_t cudaMalloc(void** p, size_t n) {
    *p = std::calloc(n, 1);
    return *p == nullptr ? 2 : cudaSuccess;
}
inline cudaError_t cudaFree(void* p) {
    std::free(p);
    return cudaSuccess;
}
inline cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t) {
    std::memset(p, v, n);
    return cudaSuccess;
}
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind, cudaStream_t) {
    std::memcpy(d, s, n);
    return cudaSuccess;
}
inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
    *s = reinterpret_cast<cudaStream_t>(1);
    return cudaSuccess;
}
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaStreamDestroy(cudaStream_t) { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
    *free_bytes = 1;
    *total = 2;
    return cudaSuccess;
}

}  // namespace
