namespace GanDsl.Cuda;

/// <summary>
/// The CUDA backend's own kernels (those no network generates): losses, optimizers over a whole
/// parameter buffer in one launch, Philox noise, and the batch gather from the GPU-resident dataset.
/// Each mirrors its CPU counterpart in <c>CpuBackend</c> formula for formula, so the backends agree
/// within float tolerance. Compiled by NVRTC like the generated kernels.
/// </summary>
public static class RuntimeKernels
{
    /// <summary>Threads per block of the reductions here (one block reduces, in a fixed order: deterministic).</summary>
    public const int ReductionThreads = 256;

    /// <summary>The program's name in messages and in the kernel cache.</summary>
    public const string ProgramName = "GanDslRuntime";

    /// <summary>Kernel names, as <see cref="Source"/> declares them.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "gandsl_logit_loss", "gandsl_adam", "gandsl_rmsprop", "gandsl_clamp",
        "gandsl_philox_normal", "gandsl_philox_uniform", "gandsl_gather_images", "gandsl_gather_labels",
        "gandsl_add_bias", "gandsl_bias_gradient",
    ];

    /// <summary>The CUDA C source.</summary>
    public const string Source = """
        // GanDsl runtime kernels (CUDA C for NVRTC). Shapes in the comments; all tensors row-major fp32.

        // Philox4x32-10, as GanDsl.Randomness.Philox.Block: counter (c0, c1) low/high, stream (c2, c3), key = seed.
        __device__ __forceinline__ uint4 philox_block(unsigned long long seed, unsigned long long stream, unsigned long long counter)
        {
            unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32);
            unsigned int c2 = (unsigned int)stream, c3 = (unsigned int)(stream >> 32);
            unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
            #pragma unroll
            for (int round = 0; round < 10; round++)
            {
                unsigned int lo0 = 0xD2511F53u * c0, hi0 = __umulhi(0xD2511F53u, c0);
                unsigned int lo1 = 0xCD9E8D57u * c2, hi1 = __umulhi(0xCD9E8D57u, c2);
                unsigned int n0 = hi1 ^ c1 ^ k0;
                unsigned int n2 = hi0 ^ c3 ^ k1;
                c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
                k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
            }
            return make_uint4(c0, c1, c2, c3);
        }

        __device__ __forceinline__ float unit_open_zero(unsigned int bits) { return (float)((bits >> 8) + 1u) * (1.0f / 16777216.0f); }
        __device__ __forceinline__ float unit(unsigned int bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

        // out (n): element i from block counter + i / 4; Box-Muller on words (x0, x1) and (x2, x3).
        extern "C" __global__ void gandsl_philox_normal(float* __restrict__ out, long long n, unsigned long long seed, unsigned long long stream, unsigned long long counter)
        {
            long long blocks = (n + 3) / 4;
            for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < blocks; j += (long long)gridDim.x * blockDim.x)
            {
                uint4 x = philox_block(seed, stream, counter + (unsigned long long)j);
                float r0 = sqrtf(-2.0f * logf(unit_open_zero(x.x))), r1 = sqrtf(-2.0f * logf(unit_open_zero(x.z)));
                float s0, c0, s1, c1;
                sincosf(6.2831855f * unit(x.y), &s0, &c0);
                sincosf(6.2831855f * unit(x.w), &s1, &c1);
                float v[4] = { r0 * c0, r0 * s0, r1 * c1, r1 * s1 };
                for (int k = 0; k < 4 && 4 * j + k < n; k++) out[4 * j + k] = v[k];
            }
        }

        // out (n): low + (high - low) * unit(word i % 4 of block counter + i / 4).
        extern "C" __global__ void gandsl_philox_uniform(float* __restrict__ out, long long n, float low, float high, unsigned long long seed, unsigned long long stream, unsigned long long counter)
        {
            long long blocks = (n + 3) / 4;
            for (long long j = blockIdx.x * (long long)blockDim.x + threadIdx.x; j < blocks; j += (long long)gridDim.x * blockDim.x)
            {
                uint4 x = philox_block(seed, stream, counter + (unsigned long long)j);
                unsigned int w[4] = { x.x, x.y, x.z, x.w };
                for (int k = 0; k < 4 && 4 * j + k < n; k++) out[4 * j + k] = low + (high - low) * unit(w[k]);
            }
        }

        // One block of 256 threads: a fixed-order tree sum of each thread's strided partial sums.
        __device__ __forceinline__ float block_sum(float value, float* shared)
        {
            shared[threadIdx.x] = value;
            __syncthreads();
            for (int width = blockDim.x / 2; width > 0; width /= 2)
            {
                if (threadIdx.x < width) shared[threadIdx.x] += shared[threadIdx.x + width];
                __syncthreads();
            }
            float total = shared[0];
            __syncthreads();
            return total;
        }

        // logits, gradient (rows); stats[0] += sum of losses, stats[1] += sum of scores. term: 0 BCE, 1 log(1 - sigmoid),
        // 2 squared, 3 linear, 4 hinge (GanDsl.Backends.LossTerm). One block.
        extern "C" __global__ void gandsl_logit_loss(const float* __restrict__ logits, float* __restrict__ gradient, float* __restrict__ stats, int rows, int term, float target, float scale)
        {
            __shared__ float shared[256];
            float lossSum = 0.0f, scoreSum = 0.0f;
            for (int i = threadIdx.x; i < rows; i += blockDim.x)
            {
                float x = logits[i];
                float p = 1.0f / (1.0f + expf(-x));
                float softplus = fmaxf(x, 0.0f) + logf(1.0f + expf(-fabsf(x)));
                float loss, grad, score;
                switch (term)
                {
                    case 0: loss = softplus - target * x; grad = p - target; score = p; break;
                    case 1: loss = -softplus; grad = -p; score = p; break;
                    case 2: loss = 0.5f * (x - target) * (x - target); grad = x - target; score = x; break;
                    case 3: loss = target * x; grad = target; score = x; break;
                    default: loss = fmaxf(0.0f, 1.0f + target * x); grad = 1.0f + target * x > 0.0f ? target : 0.0f; score = x; break;
                }
                lossSum += loss;
                scoreSum += score;
                gradient[i] = scale * grad;
            }
            float totalLoss = block_sum(lossSum, shared);
            float totalScore = block_sum(scoreSum, shared);
            if (threadIdx.x == 0) { stats[0] += totalLoss; stats[1] += totalScore; }
        }

        // Adam over a whole buffer (n): PyTorch's bias-corrected form with the coefficients precomputed on the host
        // as CpuBackend's AdamJob does; nonFinite[0] = 1 when any gradient is NaN or infinite.
        extern "C" __global__ void gandsl_adam(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, long long n,
            float b1, float b1c, float b2, float b2c, float eps, float keep, float stepSize, float bc2, float* __restrict__ nonFinite)
        {
            bool bad = false;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            {
                float gi = g[i];
                bad |= !isfinite(gi);
                float mi = b1 * m[i] + b1c * gi;
                float vi = b2 * v[i] + b2c * gi * gi;
                float denom = sqrtf(vi) / bc2 + eps;
                p[i] = p[i] * keep - stepSize * mi / denom;
                m[i] = mi;
                v[i] = vi;
            }
            if (bad && nonFinite != 0) nonFinite[0] = 1.0f;
        }

        // RMSprop (no momentum), PyTorch's form: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps).
        extern "C" __global__ void gandsl_rmsprop(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v, long long n,
            float alpha, float alphac, float lr, float eps, float* __restrict__ nonFinite)
        {
            bool bad = false;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            {
                float gi = g[i];
                bad |= !isfinite(gi);
                float vi = alpha * v[i] + alphac * gi * gi;
                p[i] -= lr * gi / (sqrtf(vi) + eps);
                v[i] = vi;
            }
            if (bad && nonFinite != 0) nonFinite[0] = 1.0f;
        }

        // WGAN's weight clipping over a buffer (n).
        extern "C" __global__ void gandsl_clamp(float* __restrict__ x, long long n, float limit)
        {
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
                x[i] = fminf(fmaxf(x[i], -limit), limit);
        }

        // out (rows, width) = pixels of images order[position + r], scaled from bytes to [-1, 1] as CpuBackend does.
        extern "C" __global__ void gandsl_gather_images(const unsigned char* __restrict__ pixels, const int* __restrict__ order, float* __restrict__ out, int position, int rows, int width)
        {
            long long count = (long long)rows * width;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                int r = (int)(i / width), k = (int)(i % width);
                out[i] = (float)pixels[(long long)order[position + r] * width + k] / 127.5f - 1.0f;
            }
        }

        // out (rows): the labels of images order[position + r], as floats.
        extern "C" __global__ void gandsl_gather_labels(const unsigned char* __restrict__ labels, const int* __restrict__ order, float* __restrict__ out, int position, int rows)
        {
            int r = blockIdx.x * blockDim.x + threadIdx.x;
            if (r < rows) out[r] = (float)labels[order[position + r]];
        }

        // y (rows, cols) += bias (cols), for layers with no fused activation.
        extern "C" __global__ void gandsl_add_bias(float* __restrict__ y, const float* __restrict__ bias, int rows, int cols)
        {
            long long count = (long long)rows * cols;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
                y[i] += bias[i % cols];
        }

        // db (cols) (+)= column sums of dz (rows, cols); block (32, 8), grid ceil(cols / 32), fixed-order sums.
        extern "C" __global__ void gandsl_bias_gradient(const float* __restrict__ dz, float* __restrict__ db, int rows, int cols, int accumulate)
        {
            __shared__ float s[8][32];
            int c = blockIdx.x * 32 + threadIdx.x;
            float sum = 0.0f;
            if (c < cols)
                for (int r = threadIdx.y; r < rows; r += 8) sum += dz[(long long)r * cols + c];
            s[threadIdx.y][threadIdx.x] = sum;
            __syncthreads();
            if (threadIdx.y == 0 && c < cols)
            {
                float total = 0.0f;
                for (int k = 0; k < 8; k++) total += s[k][threadIdx.x];
                db[c] = accumulate ? db[c] + total : total;
            }
        }
        """;
}
