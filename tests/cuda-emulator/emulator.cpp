// A CPU stand-in for the parts of libcuda, libnvrtc and libcublas that GanDsl's CUDA backend calls, so its
// GPU tests can run (slowly) on a machine without a GPU: the bindings, the kernel argument marshalling, the
// launch shapes, every kernel's arithmetic, graph capture and replay, all exercised for real.
//
// How: device memory is host memory; "compiling" with NVRTC returns the CUDA C itself inside an ELF-tagged
// image, and loading that module compiles it with g++ against a small header that maps the CUDA built-ins
// onto an emulated thread (threadIdx, blockIdx, __shared__ as block-wide statics, __syncthreads). Blocks run
// one after another; the threads of a block run one after another too, or, for kernels that synchronise,
// as cooperative fibers that all reach each barrier before any passes it.
//
// Work does not run when called: it queues per stream (each piece after the stream's previous work and after the
// events the stream waited on) and runs when something waits for it (a synchronisation, a copy to the host, a
// free), in an order its dependencies allow but otherwise chosen to expose missing ones: work on other streams
// than the one waited for as late as possible (default) or as early as possible (GANDSL_EMULATOR_SCHEDULE=early).
// Under stream capture, work is recorded with the same dependencies as the graph's edges, and a replay
// (cuGraphLaunch, itself queued) runs the nodes by the same rule: the capturing stream's first, or the others'.
// Capture is per stream; calls the real driver refuses during capture (synchronising, allocating, copying to
// or from the host) fail here too, with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, and invalidate the capture.
// Another stream joins a capture by waiting on an event recorded in it (a fork); its work is recorded into the
// same graph, and ending the capture fails with CUDA_ERROR_STREAM_CAPTURE_UNJOINED, as the driver's does,
// unless the origin stream has waited on an event recorded on every joined stream after its last work (a join).
//
// It is a test tool, not a GPU: no concurrency between blocks, no memory model, no timing.
// Built by build.sh into one shared object, linked as libcuda.so.1, libnvrtc.so.13 and libcublas.so.13.

#include <dlfcn.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int Success = 0, InvalidValue = 1, OutOfMemory = 2, InvalidImage = 200, NotFound = 500, CaptureUnsupported = 900,
    CaptureInvalidated = 901, CaptureUnjoined = 904, CaptureIsolation = 905;

struct Dim { unsigned x, y, z; };

// What a kernel module sees of the emulated thread (see Header below).
struct Context {
    Dim thread, block, blockDim, gridDim;
    void (*sync)();
};

struct Kernel {
    std::string name;
    void (*call)(void**);
    std::vector<int> sizes;
    bool syncs;
};

struct Module {
    void* library;
    Context** slot;  // the library's gandsl_emu_context (one library serves every module of the same source)
    Context* context;
    std::map<std::string, Kernel> kernels;
};

struct Op {
    std::function<void()> run;
    std::string name;          // what GANDSL_EMULATOR_VERBOSE lists for a graph's nodes
    void* stream;              // where it was issued
    std::vector<size_t> deps;  // in a graph: the earlier nodes it waits for
};

struct Graph {
    std::vector<Op> ops;
    void* origin = nullptr;  // the stream the capture began on
};

// An instantiated graph; a launch still queued keeps its graph alive after the executable is destroyed.
struct Executable {
    std::shared_ptr<const Graph> graph;
};

std::recursive_mutex g_lock;

// GANDSL_EMULATOR_SCHEDULE=early runs work on other streams as soon as its dependencies allow (a missing fork
// then shows: the side stream's work reads what the main stream has not written yet); the default, late, runs
// it only when something waits for it (a missing join shows: the main stream reads what the side has not
// written yet). Both orders are ones a GPU could choose.
bool SideEarly() {
    static const bool early = [] {
        const char* value = getenv("GANDSL_EMULATOR_SCHEDULE");
        return value != nullptr && strcmp(value, "early") == 0;
    }();
    return early;
}

// Outside capture, work queues up per stream and runs only when something waits for it (a synchronisation, a
// copy to the host, a free), as a GPU's work may: each piece waits for the stream's previous work and for the
// events its stream waited on before it was issued.
struct Pending {
    std::function<void()> run;
    void* stream;
    std::vector<uint64_t> deps;
};
std::map<uint64_t, Pending> g_pending;  // by issue number
uint64_t g_issued = 0;

struct StreamState {
    std::vector<uint64_t> frontier;       // what the stream's next work waits for (outside capture)
    std::vector<size_t> captureFrontier;  // the same, as nodes of the graph being captured
};
std::map<void*, StreamState> g_streams;

template <typename T>
void AddUnique(std::vector<T>& to, const std::vector<T>& from) {
    for (T x : from) {
        if (std::find(to.begin(), to.end(), x) == to.end()) to.push_back(x);
    }
}

// Runs the queued work the targets need, in dependency order: among the pieces ready to run, those issued on
// the preferred stream first (late) or those issued elsewhere first (early), else the earliest issued.
void Flush(const std::vector<uint64_t>& targets, void* preferred) {
    std::vector<uint64_t> need, stack(targets);
    while (!stack.empty()) {
        uint64_t id = stack.back();
        stack.pop_back();
        auto it = g_pending.find(id);
        if (it == g_pending.end() || std::find(need.begin(), need.end(), id) != need.end()) continue;
        need.push_back(id);
        stack.insert(stack.end(), it->second.deps.begin(), it->second.deps.end());
    }
    std::sort(need.begin(), need.end());
    while (!need.empty()) {
        size_t pick = need.size();
        for (size_t i = 0; i < need.size(); i++) {
            const Pending& op = g_pending.at(need[i]);
            bool ready = std::none_of(op.deps.begin(), op.deps.end(), [](uint64_t d) { return g_pending.count(d) != 0; });
            if (!ready) continue;
            if (pick == need.size()) pick = i;
            if ((op.stream != preferred) == SideEarly()) { pick = i; break; }
        }
        Pending op = std::move(g_pending.at(need[pick]));
        g_pending.erase(need[pick]);
        need.erase(need.begin() + static_cast<long>(pick));
        op.run();
    }
}

void FlushStream(void* stream) { Flush(g_streams[stream].frontier, stream); }

void FlushAll() {
    std::vector<uint64_t> all;
    for (const auto& [id, op] : g_pending) all.push_back(id);
    Flush(all, nullptr);
}

// A graph's nodes in an order its edges allow, by the same rule: the origin stream's nodes preferred (late)
// or the others' (early).
void RunGraph(const Graph& graph) {
    size_t n = graph.ops.size();
    std::vector<char> done(n, 0);
    for (size_t ran = 0; ran < n; ran++) {
        size_t pick = n;
        for (size_t i = 0; i < n; i++) {
            if (done[i]) continue;
            const Op& op = graph.ops[i];
            if (!std::all_of(op.deps.begin(), op.deps.end(), [&](size_t d) { return done[d] != 0; })) continue;
            if (pick == n) pick = i;
            if ((op.stream != graph.origin) == SideEarly()) { pick = i; break; }
        }
        done[pick] = 1;
        graph.ops[pick].run();
    }
}

// Capture is per stream, and (CU_STREAM_CAPTURE_MODE_THREAD_LOCAL) only the capturing thread is refused
// the calls that would synchronise or allocate; other threads' streams run as usual.
struct Capture {
    Graph* graph;
    std::thread::id thread;
    bool broken;
};
std::map<void*, Capture> g_captures;  // by origin stream

// A stream that joined a capture by waiting on one of its events: where its work goes, how much it has
// issued since joining (the wait counts, so an empty fork must be joined too) and how much of that the
// origin has waited for.
struct Joined {
    void* origin;
    size_t issued;
    size_t joined;
};
std::map<void*, Joined> g_joined;

// An event: the work its stream had issued when it was recorded, in a capture (origin != null) or outside.
struct Event {
    void* origin;
    void* stream;
    size_t issued;
    std::vector<size_t> captureFrontier;
    std::vector<uint64_t> frontier;
};

Capture* Capturing(void* stream) {
    auto it = g_captures.find(stream);
    if (it != g_captures.end()) return &it->second;
    auto joined = g_joined.find(stream);
    return joined == g_joined.end() ? nullptr : &g_captures.at(joined->second.origin);
}

// The capture's origin stream, when stream takes part in one.
void* OriginOf(void* stream) {
    if (g_captures.count(stream)) return stream;
    auto joined = g_joined.find(stream);
    return joined == g_joined.end() ? nullptr : joined->second.origin;
}

bool ThisThreadCaptures() {
    for (auto& [stream, capture] : g_captures) {
        if (capture.thread == std::this_thread::get_id()) {
            capture.broken = true;
            return true;
        }
    }
    return false;
}

// Queues work on a stream, or records it as a node while the stream is capturing (work from a joined stream
// says so in its name).
void Enqueue(void* stream, std::function<void()> work, std::string name) {
    StreamState& state = g_streams[stream];
    if (Capture* capture = Capturing(stream)) {
        auto joined = g_joined.find(stream);
        if (joined != g_joined.end()) {
            joined->second.issued++;
            name += "  [side stream]";
        }
        auto& ops = capture->graph->ops;
        ops.push_back({std::move(work), std::move(name), stream, state.captureFrontier});
        state.captureFrontier = {ops.size() - 1};
    } else {
        uint64_t id = ++g_issued;
        g_pending[id] = Pending{std::move(work), stream, state.frontier};
        state.frontier = {id};
    }
}

// Ends the capture of origin: it and every stream that joined it stop capturing.
Capture EndCaptureOf(void* origin) {
    Capture ended = g_captures.at(origin);
    g_captures.erase(origin);
    g_streams[origin].captureFrontier.clear();
    for (auto it = g_joined.begin(); it != g_joined.end();) {
        if (it->second.origin == origin) {
            g_streams[it->first].captureFrontier.clear();
            it = g_joined.erase(it);
        } else {
            it = std::next(it);
        }
    }
    return ended;
}

// ---- the emulated threads ---------------------------------------------------------------------------

Context* g_current = nullptr;  // the module whose kernel is running
ucontext_t g_scheduler;
std::vector<ucontext_t> g_fibers;
std::vector<std::unique_ptr<char[]>> g_stacks;
std::vector<char> g_done;
std::vector<Dim> g_fiberThread;
int g_fiber = -1;
const Kernel* g_kernel = nullptr;
void** g_params = nullptr;
constexpr size_t StackBytes = 256 * 1024;

void SyncThreads() {
    if (g_fiber < 0) {
        return;  // a kernel run without fibers never synchronises (checked when it was loaded)
    }

    swapcontext(&g_fibers[g_fiber], &g_scheduler);
}

void FiberMain() {
    g_kernel->call(g_params);
    g_done[g_fiber] = 1;
    swapcontext(&g_fibers[g_fiber], &g_scheduler);
}

void RunKernel(Context* context, const Kernel& kernel, Dim grid, Dim block, void** params) {
    g_current = context;
    context->gridDim = grid;
    context->blockDim = block;
    context->sync = SyncThreads;
    unsigned threads = block.x * block.y * block.z;
    for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
    for (unsigned bx = 0; bx < grid.x; bx++) {
        context->block = {bx, by, bz};
        if (!kernel.syncs) {
            g_fiber = -1;
            for (unsigned t = 0; t < threads; t++) {
                context->thread = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
                kernel.call(params);
            }

            continue;
        }

        // Cooperative fibers: each pass resumes every live thread until its next barrier or its end, so
        // no thread passes a barrier before all have reached it.
        g_fibers.resize(threads);
        g_done.assign(threads, 0);
        g_fiberThread.resize(threads);
        while (g_stacks.size() < threads) {
            g_stacks.emplace_back(new char[StackBytes]);
        }

        g_kernel = &kernel;
        g_params = params;
        for (unsigned t = 0; t < threads; t++) {
            g_fiberThread[t] = {t % block.x, t / block.x % block.y, t / (block.x * block.y)};
            getcontext(&g_fibers[t]);
            g_fibers[t].uc_stack.ss_sp = g_stacks[t].get();
            g_fibers[t].uc_stack.ss_size = StackBytes;
            g_fibers[t].uc_link = nullptr;
            makecontext(&g_fibers[t], FiberMain, 0);
        }

        for (bool live = true; live;) {
            live = false;
            for (unsigned t = 0; t < threads; t++) {
                if (g_done[t]) {
                    continue;
                }

                g_fiber = static_cast<int>(t);
                context->thread = g_fiberThread[t];
                swapcontext(&g_scheduler, &g_fibers[t]);
                live |= !g_done[t];
            }
        }

        g_fiber = -1;
    }
}

// ---- modules: CUDA C compiled with g++ ----------------------------------------------------------------

const char* Header = R"(
#include <math.h>
#include <stdint.h>
#include <cmath>
struct GanDslEmuDim { unsigned x, y, z; };
struct GanDslEmuContext { GanDslEmuDim thread, block, blockDim, gridDim; void (*sync)(); };
extern "C" { GanDslEmuContext* gandsl_emu_context = 0; }
#define threadIdx (gandsl_emu_context->thread)
#define blockIdx (gandsl_emu_context->block)
#define blockDim (gandsl_emu_context->blockDim)
#define gridDim (gandsl_emu_context->gridDim)
#define __syncthreads() (gandsl_emu_context->sync())
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
struct uint4 { unsigned int x, y, z, w; };
static inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }
static inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((unsigned long long)a * b) >> 32); }
static inline unsigned int atomicAdd(unsigned int* address, unsigned int value) { unsigned int old = *address; *address = old + value; return old; }
static inline void __threadfence() {}
static inline float __fmul_rn(float a, float b) { return a * b; }  // no -mfma here, so nothing contracts into an FMA
static inline float __fadd_rn(float a, float b) { return a + b; }
using std::isfinite;
#line 1 "kernels.cu"
)";

struct Parameter { std::string type; int size; };

std::string Trim(std::string s) {
    size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// "const float* __restrict__ x" -> type "const float*", size 8; "int rows" -> "int", 4.
Parameter ParseParameter(std::string text) {
    text = std::regex_replace(Trim(text), std::regex("__restrict__"), "");
    size_t cut = text.find_last_of(" *");
    std::string type = Trim(text.substr(0, cut + 1));
    bool pointer = type.find('*') != std::string::npos;
    std::string base = std::regex_replace(type, std::regex("\\bconst\\b|\\bunsigned\\b|\\s"), "");
    int size = pointer ? 8 : (base == "longlong" || base == "double" ? 8 : 4);
    return {type, size};
}

uint64_t Hash(const std::string& text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h = (h ^ c) * 1099511628211ull;
    }
    return h;
}

std::string CacheFolder() {
    const char* tmp = getenv("TMPDIR");
    std::string folder = std::string(tmp && *tmp ? tmp : "/tmp") + "/gandsl-cuda-emulator";
    std::string command = "mkdir -p '" + folder + "'";
    if (system(command.c_str()) != 0) {
        fprintf(stderr, "cuda-emulator: cannot create %s\n", folder.c_str());
    }
    return folder;
}

int LoadModule(const std::string& source, Module** result) {
    std::regex declaration(R"(extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\))");
    std::string trampolines;
    std::vector<std::pair<std::string, std::vector<Parameter>>> kernels;
    for (std::sregex_iterator it(source.begin(), source.end(), declaration), end; it != end; ++it) {
        std::vector<Parameter> parameters;
        std::stringstream list((*it)[2].str());
        for (std::string item; std::getline(list, item, ',');) {
            if (!Trim(item).empty()) {
                parameters.push_back(ParseParameter(item));
            }
        }
        kernels.push_back({(*it)[1].str(), parameters});
    }

    // Which kernels synchronise: those whose body calls __syncthreads, or a device function that does
    // (transitively). A function's body is the text up to the next function.
    std::regex function(R"((?:__device__|__global__)[^;{(]*?\b(\w+)\s*\([^)]*\)\s*\{)");
    std::vector<std::pair<std::string, std::string>> bodies;
    for (std::sregex_iterator it(source.begin(), source.end(), function), end; it != end; ++it) {
        bodies.push_back({(*it)[1].str(), source.substr(static_cast<size_t>(it->position()))});
    }
    for (size_t i = 0; i + 1 < bodies.size(); i++) {
        bodies[i].second.resize(bodies[i].second.size() - bodies[i + 1].second.size());
    }
    std::vector<std::string> syncing{"__syncthreads"};
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& [name, body] : bodies) {
            if (std::find(syncing.begin(), syncing.end(), name) != syncing.end()) continue;
            for (const auto& callee : syncing) {
                if (std::regex_search(body, std::regex("\\b" + callee + "\\s*\\("))) {
                    syncing.push_back(name);
                    grew = true;
                    break;
                }
            }
        }
    }

    std::ostringstream code;
    code << Header << source << "\n\n";
    std::vector<bool> syncs;
    for (size_t i = 0; i < kernels.size(); i++) {
        const auto& [name, parameters] = kernels[i];
        syncs.push_back(std::find(syncing.begin(), syncing.end(), name) != syncing.end());
        code << "extern \"C\" void gandsl_emu_call_" << name << "(void** p) { " << name << "(";
        for (size_t j = 0; j < parameters.size(); j++) {
            code << (j ? ", " : "") << "*(" << parameters[j].type << "*)p[" << j << "]";
        }
        code << "); }\n";
    }

    std::string text = code.str();
    std::string folder = CacheFolder();
    char stem[64];
    snprintf(stem, sizeof stem, "/module-%016llx", static_cast<unsigned long long>(Hash(text)));
    std::string library = folder + stem + ".so";
    if (access(library.c_str(), R_OK) != 0) {
        std::string file = folder + stem + ".cpp", log = folder + stem + ".log";
        std::ofstream(file) << text;
        std::string partial = library + "." + std::to_string(getpid());
        std::string command = "g++ -std=c++17 -O1 -fPIC -shared -w -o '" + partial + "' '" + file + "' > '" + log + "' 2>&1 && mv '" + partial + "' '" + library + "'";
        if (system(command.c_str()) != 0) {
            std::ifstream in(log);
            std::stringstream errors;
            errors << in.rdbuf();
            fprintf(stderr, "cuda-emulator: g++ could not compile the module (%s):\n%s\n", file.c_str(), errors.str().c_str());
            return InvalidImage;
        }
    }

    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "cuda-emulator: %s\n", dlerror());
        return InvalidImage;
    }

    auto* module = new Module{handle, reinterpret_cast<Context**>(dlsym(handle, "gandsl_emu_context")), new Context{}, {}};
    for (size_t i = 0; i < kernels.size(); i++) {
        Kernel kernel;
        kernel.name = kernels[i].first;
        kernel.call = reinterpret_cast<void (*)(void**)>(dlsym(handle, ("gandsl_emu_call_" + kernel.name).c_str()));
        for (const auto& p : kernels[i].second) {
            kernel.sizes.push_back(p.size);
        }
        kernel.syncs = syncs[i];
        module->kernels[kernel.name] = kernel;
    }

    *result = module;
    return Success;
}

struct Function {
    Module* module;
    const Kernel* kernel;
};

// The "cubin" NVRTC hands out: the ELF magic (KernelCompiler checks it), a tag, then the source.
const char ImageTag[] = "\x7f" "ELF" "GANDSL-CUDA-EMULATOR\n";

struct Program { std::string source; };

const char* ErrorName(int result) {
    switch (result) {
        case Success: return "CUDA_SUCCESS";
        case InvalidValue: return "CUDA_ERROR_INVALID_VALUE";
        case OutOfMemory: return "CUDA_ERROR_OUT_OF_MEMORY";
        case InvalidImage: return "CUDA_ERROR_INVALID_IMAGE";
        case NotFound: return "CUDA_ERROR_NOT_FOUND";
        case CaptureUnsupported: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case CaptureInvalidated: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case CaptureUnjoined: return "CUDA_ERROR_STREAM_CAPTURE_UNJOINED";
        case CaptureIsolation: return "CUDA_ERROR_STREAM_CAPTURE_ISOLATION";
        default: return "CUDA_ERROR_UNKNOWN";
    }
}

// A call the capturing thread may not make: it fails and invalidates the capture, as the driver does.
bool Refused() { return ThisThreadCaptures(); }

// Column-major SGEMM as cuBLAS defines it: op(A) and op(B) copied out contiguous, then C's columns
// accumulated in float (as cuBLAS does) in an order the compiler vectorises.
void Sgemm(int ta, int tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
    std::vector<float> opA(static_cast<size_t>(m) * k), opB(static_cast<size_t>(k) * n), column(static_cast<size_t>(m));
    for (int p = 0; p < k; p++)
        for (int i = 0; i < m; i++)
            opA[static_cast<size_t>(p) * m + i] = ta ? a[p + static_cast<long>(i) * lda] : a[i + static_cast<long>(p) * lda];
    for (int j = 0; j < n; j++)
        for (int p = 0; p < k; p++)
            opB[static_cast<size_t>(j) * k + p] = tb ? b[j + static_cast<long>(p) * ldb] : b[p + static_cast<long>(j) * ldb];
    for (int j = 0; j < n; j++) {
        std::fill(column.begin(), column.end(), 0.0f);
        for (int p = 0; p < k; p++) {
            float y = opB[static_cast<size_t>(j) * k + p];
            const float* x = &opA[static_cast<size_t>(p) * m];
            for (int i = 0; i < m; i++) column[i] += x[i] * y;
        }
        float* out = c + static_cast<long>(j) * ldc;
        for (int i = 0; i < m; i++) out[i] = alpha * column[i] + (beta == 0 ? 0.0f : beta * out[i]);
    }
}

}  // namespace

#define LOCK std::lock_guard<std::recursive_mutex> guard(g_lock)

extern "C" {

// ---- driver API -----------------------------------------------------------------------------------------

int cuInit(unsigned) { return Success; }
int cuDriverGetVersion(int* version) { *version = 13000; return Success; }
int cuGetErrorName(int result, const char** name) { *name = ErrorName(result); return Success; }
int cuGetErrorString(int result, const char** text) { *text = result == CaptureUnsupported ? "operation not permitted when stream is capturing (emulated)" : ErrorName(result); return Success; }
int cuDeviceGetCount(int* count) { *count = 1; return Success; }
int cuDeviceGet(int* device, int ordinal) { if (ordinal != 0) return InvalidValue; *device = 0; return Success; }
int cuDeviceGetName(char* name, int length, int) { snprintf(name, static_cast<size_t>(length), "GanDsl CUDA emulator (CPU)"); return Success; }

int cuDeviceGetAttribute(int* value, int attribute, int) {
    switch (attribute) {
        case 75: *value = 9; break;   // compute capability major
        case 76: *value = 0; break;   // minor
        case 16: *value = 2; break;   // multiprocessors: few, so grid-stride loops loop
        default: *value = 0; break;
    }
    return Success;
}

int cuDeviceTotalMem_v2(size_t* bytes, int) { *bytes = 8ull << 30; return Success; }
int cuDevicePrimaryCtxRetain(void** context, int) { static int primary; *context = &primary; return Success; }
int cuDevicePrimaryCtxRelease_v2(int) { return Success; }
int cuCtxSetCurrent(void*) { return Success; }
int cuCtxGetCurrent(void** context) { static int primary; *context = &primary; return Success; }
int cuCtxSynchronize() {
    LOCK;
    if (Refused()) return CaptureUnsupported;
    FlushAll();
    return Success;
}

int cuMemAlloc_v2(uint64_t* pointer, size_t bytes) {
    LOCK;
    if (Refused()) return CaptureUnsupported;
    void* memory = aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (!memory) return OutOfMemory;
    memset(memory, 0xCD, bytes);  // garbage, as real device memory is, so missing initialisation shows
    *pointer = reinterpret_cast<uint64_t>(memory);
    return Success;
}

int cuMemFree_v2(uint64_t pointer) {
    LOCK;
    if (Refused()) return CaptureUnsupported;
    FlushAll();  // queued work may still use it; the driver's free waits too
    free(reinterpret_cast<void*>(pointer));
    return Success;
}

int cuMemcpyHtoDAsync_v2(uint64_t destination, const void* source, size_t bytes, void* stream) {
    LOCK;
    if (Capture* capture = Capturing(stream)) { capture->broken = true; return CaptureUnsupported; }  // pageable host memory
    // From pageable memory the driver stages the data before returning; the copy itself waits its turn.
    auto staged = std::make_shared<std::vector<char>>(static_cast<const char*>(source), static_cast<const char*>(source) + bytes);
    Enqueue(stream, [=] { memcpy(reinterpret_cast<void*>(destination), staged->data(), bytes); }, "memcpy host to device");
    return Success;
}

int cuMemcpyDtoHAsync_v2(void* destination, uint64_t source, size_t bytes, void* stream) {
    LOCK;
    if (Capture* capture = Capturing(stream)) { capture->broken = true; return CaptureUnsupported; }
    FlushStream(stream);  // to pageable memory: the call returns when the copy is done
    memcpy(destination, reinterpret_cast<const void*>(source), bytes);
    return Success;
}

int cuMemcpyDtoDAsync_v2(uint64_t destination, uint64_t source, size_t bytes, void* stream) {
    LOCK;
    Enqueue(stream, [=] { memmove(reinterpret_cast<void*>(destination), reinterpret_cast<const void*>(source), bytes); },
            "memcpy " + std::to_string(bytes) + " bytes");
    return Success;
}

int cuMemsetD32Async(uint64_t destination, unsigned value, size_t count, void* stream) {
    LOCK;
    Enqueue(stream, [=] {
        auto* words = reinterpret_cast<unsigned*>(destination);
        for (size_t i = 0; i < count; i++) words[i] = value;
    }, "memset " + std::to_string(count) + " words");
    return Success;
}

int cuStreamCreate(void** stream, unsigned) { *stream = new int(0); return Success; }
int cuStreamDestroy_v2(void* stream) {
    LOCK;
    FlushStream(stream);
    g_streams.erase(stream);
    delete static_cast<int*>(stream);
    return Success;
}
int cuStreamSynchronize(void* stream) {
    LOCK;
    if (Capture* capture = Capturing(stream)) { capture->broken = true; return CaptureUnsupported; }
    FlushStream(stream);
    return Success;
}
int cuEventCreate(void** event, unsigned) { *event = new Event{nullptr, nullptr, 0, {}, {}}; return Success; }
int cuEventDestroy_v2(void* event) { delete static_cast<Event*>(event); return Success; }

int cuEventRecord(void* event, void* stream) {
    LOCK;
    auto* e = static_cast<Event*>(event);
    void* origin = OriginOf(stream);
    auto joined = g_joined.find(stream);
    const StreamState& state = g_streams[stream];
    *e = Event{origin, stream, joined == g_joined.end() ? 0 : joined->second.issued,
               origin ? state.captureFrontier : std::vector<size_t>{}, origin ? std::vector<uint64_t>{} : state.frontier};
    return Success;
}

// Outside capture everything already ran in order, so waiting is free. Waiting on an event recorded in a capture
// joins the waiting stream to it (a fork), or, for the origin, marks the event's stream joined back up to it.
int cuStreamWaitEvent(void* stream, void* event, unsigned flags) {
    LOCK;
    if (flags != 0) return InvalidValue;
    auto* e = static_cast<Event*>(event);
    void* origin = OriginOf(stream);
    StreamState& state = g_streams[stream];
    if (e->origin == nullptr) {
        if (origin == nullptr) {
            AddUnique(state.frontier, e->frontier);  // the stream's later work waits for the event's
            return Success;
        }
        g_captures.at(origin).broken = true;  // an event from outside the capture
        return CaptureIsolation;
    }
    if (!g_captures.count(e->origin)) return CaptureInvalidated;  // recorded in a capture that has ended
    if (origin == nullptr) {
        g_joined[stream] = Joined{e->origin, 1, 0};
        state.captureFrontier = e->captureFrontier;
        return Success;
    }
    if (origin != e->origin) {
        g_captures.at(origin).broken = true;
        return CaptureIsolation;
    }
    AddUnique(state.captureFrontier, e->captureFrontier);
    auto side = g_joined.find(e->stream);
    if (stream == origin && side != g_joined.end()) {
        side->second.joined = std::max(side->second.joined, e->issued);
    }
    return Success;
}

int cuEventSynchronize(void* event) {
    LOCK;
    auto* e = static_cast<Event*>(event);
    Flush(e->frontier, e->stream);
    return Success;
}
int cuEventElapsedTime(float* milliseconds, void*, void*) { *milliseconds = 0; return Success; }

int cuModuleLoadData(void** module, const void* image) {
    LOCK;
    const char* bytes = static_cast<const char*>(image);
    if (strncmp(bytes, ImageTag, sizeof ImageTag - 1) != 0) {
        fprintf(stderr, "cuda-emulator: not an emulator image (a real cubin cannot run here)\n");
        return InvalidImage;
    }
    Module* loaded = nullptr;
    int result = LoadModule(bytes + sizeof ImageTag - 1, &loaded);
    *module = loaded;
    return result;
}

int cuModuleUnload(void*) { return Success; }  // kept loaded: a later module of the same source reuses the library

int cuModuleGetFunction(void** function, void* module, const char* name) {
    LOCK;
    auto* m = static_cast<Module*>(module);
    auto it = m->kernels.find(name);
    if (it == m->kernels.end()) return NotFound;
    *function = new Function{m, &it->second};
    return Success;
}

int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shared, void* stream, void** params, void** extra) {
    LOCK;
    auto* f = static_cast<Function*>(function);
    if (extra || shared || gx * gy * gz == 0 || bx * by * bz == 0 || bx * by * bz > 1024) return InvalidValue;
    // Copy the arguments now, as the driver does, then run (or record).
    auto storage = std::make_shared<std::vector<uint64_t>>(f->kernel->sizes.size());
    for (size_t i = 0; i < f->kernel->sizes.size(); i++) {
        memcpy(&(*storage)[i], params[i], static_cast<size_t>(f->kernel->sizes[i]));
    }
    Dim grid{gx, gy, gz}, block{bx, by, bz};
    Enqueue(stream, [f, storage, grid, block] {
        std::vector<void*> pointers(storage->size());
        for (size_t i = 0; i < storage->size(); i++) pointers[i] = &(*storage)[i];
        *f->module->slot = f->module->context;
        RunKernel(f->module->context, *f->kernel, grid, block, pointers.data());
    }, f->kernel->name + " <<<" + std::to_string(gx * gy * gz) + ", " + std::to_string(bx * by * bz) + ">>>");
    return Success;
}

int cuStreamBeginCapture_v2(void* stream, unsigned) {
    LOCK;
    if (Capturing(stream)) return InvalidValue;
    auto* graph = new Graph();
    graph->origin = stream;
    g_captures[stream] = Capture{graph, std::this_thread::get_id(), false};
    g_streams[stream].captureFrontier.clear();
    return Success;
}

int cuStreamEndCapture(void* stream, void** graph) {
    LOCK;
    if (!g_captures.count(stream)) return InvalidValue;  // not capturing, or only joined to another stream's capture
    bool unjoined = false;
    for (const auto& [side, joined] : g_joined) {
        unjoined |= joined.origin == stream && joined.issued > joined.joined;
    }
    Capture ended = EndCaptureOf(stream);
    if (ended.broken || unjoined) {
        delete ended.graph;
        *graph = nullptr;
        return unjoined && !ended.broken ? CaptureUnjoined : CaptureInvalidated;
    }
    *graph = ended.graph;
    return Success;
}

int cuGraphInstantiateWithFlags(void** executable, void* graph, unsigned long long) {
    if (getenv("GANDSL_EMULATOR_VERBOSE")) {
        auto& ops = static_cast<Graph*>(graph)->ops;
        fprintf(stderr, "cuda-emulator: graph of %zu nodes\n", ops.size());
        if (strcmp(getenv("GANDSL_EMULATOR_VERBOSE"), "nodes") == 0) {
            for (size_t i = 0; i < ops.size(); i++) fprintf(stderr, "  %2zu %s\n", i + 1, ops[i].name.c_str());
        }
    }
    *executable = new Executable{std::make_shared<const Graph>(*static_cast<Graph*>(graph))};
    return Success;
}

int cuGraphGetNodes(void* graph, void** nodes, size_t* count) {
    size_t size = static_cast<Graph*>(graph)->ops.size();
    if (nodes) {
        for (size_t i = 0; i < *count && i < size; i++) nodes[i] = &static_cast<Graph*>(graph)->ops[i];
    }
    *count = size;
    return Success;
}

// Edge i runs from from[i] to to[i]: each node's dependencies.
int cuGraphGetEdges(void* graph, void** from, void** to, size_t* count) {
    auto& ops = static_cast<Graph*>(graph)->ops;
    std::vector<std::pair<void*, void*>> edges;
    for (auto& op : ops) {
        for (size_t d : op.deps) edges.push_back({&ops[d], &op});
    }
    if (from == nullptr || to == nullptr) {
        *count = edges.size();
        return Success;
    }
    size_t i = 0;
    for (; i < *count && i < edges.size(); i++) {
        from[i] = edges[i].first;
        to[i] = edges[i].second;
    }
    for (size_t j = i; j < *count; j++) from[j] = to[j] = nullptr;
    *count = i;
    return Success;
}

int cuGraphLaunch(void* executable, void* stream) {
    LOCK;
    if (Capturing(stream)) return CaptureUnsupported;
    std::shared_ptr<const Graph> graph = static_cast<Executable*>(executable)->graph;  // kept while queued
    Enqueue(stream, [graph] { RunGraph(*graph); }, "graph of " + std::to_string(graph->ops.size()) + " nodes");
    return Success;
}

int cuGraphExecDestroy(void* executable) { delete static_cast<Executable*>(executable); return Success; }
int cuGraphDestroy(void* graph) { delete static_cast<Graph*>(graph); return Success; }

// ---- NVRTC ----------------------------------------------------------------------------------------------

int nvrtcVersion(int* major, int* minor) { *major = 99; *minor = 0; return 0; }  // never a real NVRTC's cache key
const char* nvrtcGetErrorString(int result) { return result == 0 ? "NVRTC_SUCCESS" : "NVRTC_ERROR (emulated)"; }
int nvrtcCreateProgram(void** program, const char* source, const char*, int, const char* const*, const char* const*) {
    *program = new Program{source};
    return 0;
}
int nvrtcCompileProgram(void*, int, const char* const*) { return 0; }  // g++ compiles it when the module loads
int nvrtcGetProgramLogSize(void*, size_t* size) { *size = 1; return 0; }
int nvrtcGetProgramLog(void*, char* log) { *log = 0; return 0; }
int nvrtcGetCUBINSize(void* program, size_t* size) { *size = sizeof ImageTag - 1 + static_cast<Program*>(program)->source.size() + 1; return 0; }
int nvrtcGetCUBIN(void* program, char* image) {
    const std::string& source = static_cast<Program*>(program)->source;
    memcpy(image, ImageTag, sizeof ImageTag - 1);
    memcpy(image + sizeof ImageTag - 1, source.c_str(), source.size() + 1);
    return 0;
}
int nvrtcGetPTXSize(void* program, size_t* size) { return nvrtcGetCUBINSize(program, size); }
int nvrtcGetPTX(void* program, char* image) { return nvrtcGetCUBIN(program, image); }
int nvrtcGetNumSupportedArchs(int* count) { *count = 1; return 0; }
int nvrtcGetSupportedArchs(int* architectures) { architectures[0] = 90; return 0; }
int nvrtcDestroyProgram(void** program) { delete static_cast<Program*>(*program); *program = nullptr; return 0; }

// ---- cuBLAS ---------------------------------------------------------------------------------------------

int cublasCreate_v2(void** handle) { *handle = new void*(nullptr); return 0; }  // holds its stream
int cublasDestroy_v2(void* handle) { delete static_cast<void**>(handle); return 0; }
int cublasGetVersion_v2(void*, int* version) { *version = 990000; return 0; }
int cublasSetStream_v2(void* handle, void* stream) { *static_cast<void**>(handle) = stream; return 0; }
int cublasSetMathMode(void*, int) { return 0; }
int cublasSetWorkspace_v2(void*, void*, size_t) { return 0; }

int cublasSgemm_v2(void* handle, int ta, int tb, int m, int n, int k, const float* alpha, const float* a, int lda,
                   const float* b, int ldb, const float* beta, float* c, int ldc) {
    LOCK;
    if (m < 0 || n < 0 || k < 0 || lda < (ta ? k : m) || ldb < (tb ? n : k) || ldc < m || lda < 1 || ldb < 1 || ldc < 1) return 7;  // INVALID_VALUE
    float al = *alpha, be = *beta;
    Enqueue(*static_cast<void**>(handle), [=] { Sgemm(ta, tb, m, n, k, al, a, lda, b, ldb, be, c, ldc); },
            "sgemm " + std::string(ta ? "T" : "N") + (tb ? "T" : "N") + " m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k) + " beta=" + std::to_string(be));
    return 0;
}

}  // extern "C"
