namespace GanDsl.Cuda;

/// <summary>
/// The CUDA backend's own kernels (those no network generates; the losses are generated, generated as <c>LossKernels</c>): optimizers over a whole
/// parameter buffer in one launch, Philox noise, and the batch gather from the GPU-resident dataset.
/// Each mirrors its CPU counterpart in <c>CpuBackend</c> formula for formula, so the backends agree
/// within float tolerance. Compiled by NVRTC like the generated kernels.
/// </summary>
internal static class RuntimeKernels
{
    /// <summary>Threads per block of the reductions here (one block reduces, in a fixed order: deterministic).</summary>
    public const int ReductionThreads = 256;

    /// <summary>The program's name in messages and in the kernel cache.</summary>
    public const string ProgramName = "GanDslRuntime";

    /// <summary>Kernel names, as <see cref="Source"/> declares them.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "gandsl_counter_set", "gandsl_counters_add",
        "gandsl_adam", "gandsl_rmsprop", "gandsl_clamp", "gandsl_add_scaled", "gandsl_moving_average", "gandsl_reparameterize", "gandsl_image_pool", "gandsl_image_pool_count",
        "gandsl_philox_normal", "gandsl_philox_uniform", "gandsl_gather_images", "gandsl_gather_labels",
        "gandsl_add_bias", "gandsl_bias_gradient", "gandsl_interpolate", "gandsl_gradient_penalty",
        "gandsl_im2col", "gandsl_col2im", "gandsl_dropout",
        "gandsl_concat_embedding", "gandsl_embedding_dx", "gandsl_embedding_table", "gandsl_upsample", "gandsl_upsample_backward",
        "gandsl_multiply_embedding", "gandsl_multiply_embedding_table", "gandsl_prelu", "gandsl_instance_norm",
        "gandsl_place_columns", "gandsl_categorical", "gandsl_channels",
        "gandsl_batchnorm_mean", "gandsl_batchnorm_variance", "gandsl_batchnorm_running", "gandsl_batchnorm_dx",
    ];

    /// <summary>The CUDA C source.</summary>
    public const string Source = """
        // GanDsl runtime kernels (CUDA C for NVRTC). Shapes in the comments; all tensors row-major fp32.
        // Element indices are split with 32-bit unsigned division (the backend refuses launches past 2^32
        // elements): a 64-bit division by a run-time value costs several times more.

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

        // A 64-bit kernel argument: offset + scale * *counter, the counter read when the kernel runs
        // (GanDsl.Backends.CounterValue), so a replayed CUDA graph sees the current step; no counter, a constant.
        __device__ __forceinline__ unsigned long long counter_value(const unsigned long long* counter, unsigned long long scale, unsigned long long offset)
        {
            return offset + (counter != 0 ? scale * *counter : 0ull);
        }

        extern "C" __global__ void gandsl_counter_set(unsigned long long* counter, unsigned long long value) { *counter = value; }

        // Up to four counters moved in one launch (Backend.AddToCounters); a null address is an unused pair.
        extern "C" __global__ void gandsl_counters_add(unsigned long long* c0, unsigned long long d0, unsigned long long* c1, unsigned long long d1,
            unsigned long long* c2, unsigned long long d2, unsigned long long* c3, unsigned long long d3)
        {
            if (c0 != 0) *c0 += d0;
            if (c1 != 0) *c1 += d1;
            if (c2 != 0) *c2 += d2;
            if (c3 != 0) *c3 += d3;
        }

        __device__ __forceinline__ float unit_open_zero(unsigned int bits) { return (float)((bits >> 8) + 1u) * (1.0f / 16777216.0f); }
        __device__ __forceinline__ float unit(unsigned int bits) { return (float)(bits >> 8) * (1.0f / 16777216.0f); }

        // out (n): element i from block counter + i / 4; Box-Muller on words (x0, x1) and (x2, x3).
        extern "C" __global__ void gandsl_philox_normal(float* __restrict__ out, long long n, unsigned long long seed, unsigned long long stream,
            const unsigned long long* counterAt, unsigned long long counterScale, unsigned long long counterOffset)
        {
            unsigned long long counter = counter_value(counterAt, counterScale, counterOffset);
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
        extern "C" __global__ void gandsl_philox_uniform(float* __restrict__ out, long long n, float low, float high, unsigned long long seed, unsigned long long stream,
            const unsigned long long* counterAt, unsigned long long counterScale, unsigned long long counterOffset)
        {
            unsigned long long counter = counter_value(counterAt, counterScale, counterOffset);
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

        // Adam over a whole buffer (n): PyTorch's bias-corrected form, coefficients as CpuBackend's AdamJob forms them
        // (in double, rounded once), the step t read from its counter; nonFinite[0] = 1 when any second moment or parameter it
        // writes is NaN or infinite (a bad gradient makes its second moment so; so does a finite one too large to square).
        extern "C" __global__ void gandsl_adam(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v, long long n,
            float b1, float b1c, float b2, float b2c, float eps, float keep, double lr, double beta1, double beta2, double weightDecay,
            const unsigned long long* stepAt, unsigned long long stepScale, unsigned long long stepOffset, float* __restrict__ nonFinite,
            const float* __restrict__ lrScale)
        {
            double t = (double)counter_value(stepAt, stepScale, stepOffset);
            if (lrScale != 0)
            {
                // A schedule's factor, applied in double as the CPU applies it; the decay term follows the scaled rate.
                lr *= (double)*lrScale;
                keep = (float)(1.0 - lr * weightDecay);
            }
            float stepSize = (float)(lr / (1.0 - pow(beta1, t)));
            float bc2 = (float)sqrt(1.0 - pow(beta2, t));
            bool bad = false;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            {
                float gi = g[i];
                float mi = b1 * m[i] + b1c * gi;
                float vi = b2 * v[i] + b2c * gi * gi;
                float denom = sqrtf(vi) / bc2 + eps;
                float pi = p[i] * keep - stepSize * mi / denom;
                bad |= !isfinite(vi) || !isfinite(pi);
                p[i] = pi;
                m[i] = mi;
                v[i] = vi;
            }
            if (bad && nonFinite != 0) nonFinite[0] = 1.0f;
        }

        // RMSprop (no momentum), PyTorch's form: v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps).
        extern "C" __global__ void gandsl_rmsprop(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ v, long long n,
            float alpha, float alphac, float lr, float eps, float* __restrict__ nonFinite, double lrDouble, const float* __restrict__ lrScale)
        {
            if (lrScale != 0) lr = (float)(lrDouble * (double)*lrScale);
            bool bad = false;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            {
                float gi = g[i];
                float vi = alpha * v[i] + alphac * gi * gi;
                float pi = p[i] - lr * gi / (sqrtf(vi) + eps);
                bad |= !isfinite(vi) || !isfinite(pi);
                p[i] = pi;
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

        // y (n) += scale * x (n), element by element (Backend.Add).
        extern "C" __global__ void gandsl_add_scaled(const float* __restrict__ x, float* __restrict__ y, long long n, float scale)
        {
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
                y[i] += scale * x[i];
        }

        // Backend.MovingAverage: a = a d + x e, each product rounded (no contraction into an FMA, as on the CPU), with
        // d = min(decay, (1 + t) / (10 + t)) formed in double from the update counter t.
        extern "C" __global__ void gandsl_moving_average(const float* __restrict__ x, float* __restrict__ a, long long n, float decay,
            const unsigned long long* updateAt, unsigned long long updateScale, unsigned long long updateOffset)
        {
            double t = (double)counter_value(updateAt, updateScale, updateOffset);
            double warm = (1.0 + t) / (10.0 + t);
            float d = (float)(warm < (double)decay ? warm : (double)decay), e = 1.0f - d;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
                a[i] = __fadd_rn(__fmul_rn(a[i], d), __fmul_rn(x[i], e));
        }

        // Backend.Reparameterize: z (n) = x + exp(v / 2) e. With z null, its gradient from dz = x: dm = dz and
        // dv = dz e exp(v / 2) / 2, written or (accumulate) added. Same expressions, in the same order, as CpuBackend.
        // No __restrict__: z may be e, and dm may be dz, each element read before it is written.
        extern "C" __global__ void gandsl_reparameterize(const float* x, const float* v, const float* e, float* z, float* dm, float* dv, int n, int accumulate)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
            {
                float s = expf(0.5f * v[i]);
                if (z != nullptr)
                {
                    z[i] = x[i] + s * e[i];
                    continue;
                }

                float g = x[i], term = 0.5f * g * e[i] * s;
                dm[i] = accumulate ? dm[i] + g : g;
                dv[i] = accumulate ? dv[i] + term : term;
            }
        }

        // Backend.ImagePool: every thread walks the rows in order for its columns, so that each makes the same choices
        // (they depend on the count and the draws alone) and a pool row taken twice in one batch swaps in order.
        // gandsl_image_pool_count then moves the count, after every thread has read it.
        extern "C" __global__ void gandsl_image_pool(float* __restrict__ x, float* __restrict__ pool, const float* __restrict__ u, const float* filled,
            int rows, int width, int capacity)
        {
            int start = (int)fminf(fmaxf(filled[0], 0.0f), (float)capacity);
            for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < width; j += gridDim.x * blockDim.x)
            {
                int n = start;
                for (int r = 0; r < rows; r++)
                {
                    float* value = x + (long long)r * width + j;
                    if (n < capacity)
                    {
                        pool[(long long)n++ * width + j] = *value;
                    }
                    else if (u[2 * r] > 0.5f)
                    {
                        int slot = (int)(u[2 * r + 1] * capacity);
                        float* old = pool + (long long)(slot < capacity ? slot : capacity - 1) * width + j;
                        float kept = *old;
                        *old = *value;
                        *value = kept;
                    }
                }
            }
        }

        extern "C" __global__ void gandsl_image_pool_count(float* x, float* pool, const float* u, float* filled, int rows, int width, int capacity)
        {
            int start = (int)fminf(fmaxf(filled[0], 0.0f), (float)capacity);
            filled[0] = (float)(start + rows < capacity ? start + rows : capacity);
        }

        // out (rows, width) = pixels of images order[position + r], scaled from bytes to [-1, 1] (or, with zeroToOne, [0, 1]) as CpuBackend does.
        extern "C" __global__ void gandsl_gather_images(const unsigned char* __restrict__ pixels, const int* __restrict__ order, float* __restrict__ out,
            const unsigned long long* positionAt, unsigned long long positionScale, unsigned long long positionOffset, int rows, int width, int zeroToOne)
        {
            long long position = (long long)counter_value(positionAt, positionScale, positionOffset);
            long long count = (long long)rows * width;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i, wide = (unsigned int)width;
                int r = (int)(u / wide), k = (int)(u % wide);
                float b = (float)pixels[(long long)order[position + r] * width + k];
                out[i] = zeroToOne ? b / 255.0f : b / 127.5f - 1.0f;
            }
        }

        // out (rows): the labels of images order[position + r], as floats.
        extern "C" __global__ void gandsl_gather_labels(const unsigned char* __restrict__ labels, const int* __restrict__ order, float* __restrict__ out,
            const unsigned long long* positionAt, unsigned long long positionScale, unsigned long long positionOffset, int rows)
        {
            long long position = (long long)counter_value(positionAt, positionScale, positionOffset);
            int r = blockIdx.x * blockDim.x + threadIdx.x;
            if (r < rows) out[r] = (float)labels[order[position + r]];
        }

        // y (rows, cols) += bias (cols), for layers with no fused activation.
        extern "C" __global__ void gandsl_add_bias(float* __restrict__ y, const float* __restrict__ bias, int rows, int cols)
        {
            long long count = (long long)rows * cols;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
                y[i] += bias[(unsigned int)i % (unsigned int)cols];
        }

        // Column sums in slices: block (32, 8) over a 32-column tile and a slice of the rows (grid (tiles, slices)),
        // 8 row groups summed in order into partials[slot][slice][column]; the tile's last slice to finish (its
        // ticket says so, and resets it) returns true and adds the slices in slice order: deterministic.
        __device__ __forceinline__ void slice_rows(int rows, int* first, int* end)
        {
            int per = (rows + gridDim.y - 1) / gridDim.y;
            *first = blockIdx.y * per;
            *end = *first + per < rows ? *first + per : rows;
        }

        __device__ bool slice_done(float sum, float* partials, unsigned int* tickets, int c, int cols)
        {
            __shared__ float s[8][32];
            __shared__ int last;
            s[threadIdx.y][threadIdx.x] = sum;
            __syncthreads();
            if (threadIdx.y == 0 && c < cols)
            {
                float total = 0.0f;
                for (int k = 0; k < 8; k++) total += s[k][threadIdx.x];
                partials[(long long)blockIdx.y * cols + c] = total;
            }
            __threadfence();
            __syncthreads();
            if (threadIdx.x == 0 && threadIdx.y == 0)
            {
                last = atomicAdd(&tickets[blockIdx.x], 1u) == gridDim.y - 1;
                if (last) tickets[blockIdx.x] = 0;
            }
            __syncthreads();
            return last != 0;
        }

        __device__ __forceinline__ float slice_total(const float* partials, int c, int cols)
        {
            const volatile float* slices = partials;
            float total = 0.0f;
            for (int k = 0; k < (int)gridDim.y; k++) total += slices[(long long)k * cols + c];
            return total;
        }

        // db (cols) (+)= column sums of dz (rows, cols), in slices (above).
        extern "C" __global__ void gandsl_bias_gradient(const float* __restrict__ dz, float* __restrict__ db, int rows, int cols, int accumulate,
            float* __restrict__ partials, unsigned int* __restrict__ tickets)
        {
            int c = blockIdx.x * 32 + threadIdx.x, first, end;
            slice_rows(rows, &first, &end);
            float sum = 0.0f;
            if (c < cols)
                for (int r = first + threadIdx.y; r < end; r += 8) sum += dz[(long long)r * cols + c];
            if (!slice_done(sum, partials, tickets, c, cols)) return;
            if (threadIdx.y == 0 && c < cols)
            {
                float total = slice_total(partials, c, cols);
                db[c] = accumulate ? db[c] + total : total;
            }
        }

        // WGAN-GP's interpolates: out row r = e_r real_r + (1 - e_r) fake_r, e_r = unit(word r % 4 of block counter + r / 4), as Philox.FillUniform.
        extern "C" __global__ void gandsl_interpolate(const float* __restrict__ real, const float* __restrict__ fake, float* __restrict__ out, int rows, int width,
            unsigned long long seed, unsigned long long stream, const unsigned long long* counterAt, unsigned long long counterScale, unsigned long long counterOffset)
        {
            unsigned long long counter = counter_value(counterAt, counterScale, counterOffset);
            long long count = (long long)rows * width;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                int r = (int)((unsigned int)i / (unsigned int)width);
                uint4 x = philox_block(seed, stream, counter + (unsigned long long)(r / 4));
                unsigned int w[4] = { x.x, x.y, x.z, x.w };
                float e = 0.0f + 1.0f * unit(w[r % 4]);
                out[i] = e * real[i] + (1.0f - e) * fake[i];
            }
        }

        // WGAN-GP's penalty on g (rows, width): per row the norm in double, out = 2 weight (|g| - 1) / |g| * g, and
        // stats[0] += weight * sum (|g| - 1)^2, as CpuBackend. One block of 256 threads, rows in order (deterministic).
        extern "C" __global__ void gandsl_gradient_penalty(const float* __restrict__ g, float* __restrict__ out, float* __restrict__ stats, int rows, int width, float weight)
        {
            __shared__ double partial[256];
            __shared__ float factor;
            double penalty = 0.0;
            for (int r = 0; r < rows; r++)
            {
                const float* row = g + (long long)r * width;
                double sum = 0.0;
                for (int i = threadIdx.x; i < width; i += blockDim.x) sum += (double)row[i] * row[i];
                partial[threadIdx.x] = sum;
                __syncthreads();
                for (int half = blockDim.x / 2; half > 0; half /= 2)
                {
                    if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
                    __syncthreads();
                }
                if (threadIdx.x == 0)
                {
                    double norm = sqrt(partial[0]);
                    penalty += (norm - 1.0) * (norm - 1.0);
                    factor = norm > 0.0 ? (float)(2.0 * weight * (norm - 1.0) / norm) : 0.0f;
                }
                __syncthreads();
                for (int i = threadIdx.x; i < width; i += blockDim.x) out[(long long)r * width + i] = factor * row[i];
                __syncthreads();
            }
            if (threadIdx.x == 0) stats[0] += (float)(weight * penalty);
        }

        // im2col over channels-last images (rows, h * w * c): columns (rows * oh * ow, c * k * k) in (channel, kernel row, kernel column)
        // order, zeros outside the image (GanDsl.Backends.ConvGeometry). One thread per column element.
        extern "C" __global__ void gandsl_im2col(const float* __restrict__ images, float* __restrict__ columns, int rows,
            int c, int h, int w, int oh, int ow, int k, int stride, int padTop, int padLeft)
        {
            int cols = c * k * k;
            long long count = (long long)rows * oh * ow * cols;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i, plane = (unsigned int)(oh * ow);
                int col = (int)(u % (unsigned int)cols);
                unsigned int pixel = u / (unsigned int)cols;
                int image = (int)(pixel / plane);
                int at = (int)(pixel % plane);
                int y = at / ow, x = at % ow;
                int ch = col / (k * k), kh = col % (k * k) / k, kw = col % k;
                int ih = y * stride - padTop + kh, iw = x * stride - padLeft + kw;
                columns[i] = ih >= 0 && ih < h && iw >= 0 && iw < w
                    ? images[(long long)image * h * w * c + ((long long)ih * w + iw) * c + ch]
                    : 0.0f;
            }
        }

        // col2im, im2col's adjoint: each input element sums the column entries its pixel fed, in the order CpuBackend adds them
        // (output row, then output column, ascending), so the sums agree bitwise; one thread per image element, no atomics.
        extern "C" __global__ void gandsl_col2im(const float* __restrict__ columns, float* __restrict__ images, int rows,
            int c, int h, int w, int oh, int ow, int k, int stride, int padTop, int padLeft)
        {
            int cols = c * k * k;
            long long count = (long long)rows * h * w * c;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i, plane = (unsigned int)(h * w);
                int ch = (int)(u % (unsigned int)c);
                unsigned int pixel = u / (unsigned int)c;
                int image = (int)(pixel / plane);
                int at = (int)(pixel % plane);
                int ih = at / w, iw = at % w;
                const float* source = columns + (long long)image * oh * ow * cols;
                float sum = 0.0f;
                for (int kh = k - 1; kh >= 0; kh--)
                {
                    int ty = ih + padTop - kh;
                    if (ty < 0 || ty % stride != 0 || ty / stride >= oh) continue;
                    int y = ty / stride;
                    for (int kw = k - 1; kw >= 0; kw--)
                    {
                        int tx = iw + padLeft - kw;
                        if (tx < 0 || tx % stride != 0 || tx / stride >= ow) continue;
                        int x = tx / stride;
                        sum += source[((long long)y * ow + x) * cols + ch * k * k + kh * k + kw];
                    }
                }
                images[i] = sum;
            }
        }

        // Dropout (forward and backward alike): y = keep ? x / (1 - rate) : 0, element i kept when word i % 4 of Philox block
        // (counter << 28) + i / 4 gives a unit value >= rate, as CpuBackend's DropoutJob.
        extern "C" __global__ void gandsl_dropout(const float* __restrict__ x, float* __restrict__ y, long long n, float rate,
            unsigned long long seed, unsigned long long stream, const unsigned long long* counterAt, unsigned long long counterScale, unsigned long long counterOffset)
        {
            unsigned long long first = counter_value(counterAt, counterScale, counterOffset) << 28;
            float scale = 1.0f / (1.0f - rate);
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
            {
                uint4 b = philox_block(seed, stream, first + (unsigned long long)(i / 4));
                unsigned int w[4] = { b.x, b.y, b.z, b.w };
                y[i] = unit(w[i % 4]) >= rate ? x[i] * scale : 0.0f;
            }
        }

        // Two images stacked as channels: stacked (pixels, total) = per pixel a's ca channels then b's (total - ca); split
        // copies back to whichever of a and b is not null. pixels counts every row's pixels.
        extern "C" __global__ void gandsl_channels(float* __restrict__ stacked, float* __restrict__ a, float* __restrict__ b, int pixels, int total, int ca, int split)
        {
            long long count = (long long)pixels * total;
            int cb = total - ca;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int pixel = (unsigned int)i / (unsigned int)total, j = (unsigned int)i % (unsigned int)total;
                float* part = (int)j < ca ? a : b;
                if (part == 0) continue;
                long long at = (int)j < ca ? (long long)pixel * ca + j : (long long)pixel * cb + (j - ca);
                if (split) part[at] = stacked[i];
                else stacked[i] = part[at];
            }
        }

        // A latent part: y (rows, width) into columns [offset, offset + width) of z (rows, zCols).
        extern "C" __global__ void gandsl_place_columns(const float* __restrict__ y, float* __restrict__ z, int rows, int width, int zCols, int offset)
        {
            long long count = (long long)rows * width;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int r = (unsigned int)i / (unsigned int)width, j = (unsigned int)i % (unsigned int)width;
                z[(long long)r * zCols + offset + j] = y[i];
            }
        }

        // A categorical code: draws (rows, 1) uniform in [0, classes) become classes (in place) and one-hot columns
        // [offset, offset + classes) of z. One thread per row (a batch of codes is small), so the draw is read before it is
        // overwritten.
        extern "C" __global__ void gandsl_categorical(float* __restrict__ draws, float* __restrict__ z, int rows, int zCols, int offset, int classes)
        {
            for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x)
            {
                int c = (int)floorf(draws[r]);
                if (c > classes - 1) c = classes - 1;
                float* code = z + (long long)r * zCols + offset;
                for (int j = 0; j < classes; j++) code[j] = j == c ? 1.0f : 0.0f;
                draws[r] = (float)c;
            }
        }

        // Upsample's forward: y (rows, height * f, width * f, channels) = x (rows, height, width, channels), each pixel repeated
        // in an f x f block. One thread per output element.
        extern "C" __global__ void gandsl_upsample(const float* __restrict__ x, float* __restrict__ y, int rows, int height, int width, int channels, int f)
        {
            unsigned int wide = (unsigned int)(width * f), high = (unsigned int)(height * f);
            long long count = (long long)rows * high * wide * channels;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i;
                unsigned int c = u % (unsigned int)channels, pixel = u / (unsigned int)channels;
                unsigned int ow = pixel % wide, rest = pixel / wide;
                unsigned int oh = rest % high, r = rest / high;
                y[i] = x[(((long long)r * height + oh / (unsigned int)f) * width + ow / (unsigned int)f) * channels + c];
            }
        }

        // Upsample's backward: dx (rows, height, width, channels) = the sum of each pixel's f x f block of dy, in a fixed order.
        extern "C" __global__ void gandsl_upsample_backward(const float* __restrict__ dy, float* __restrict__ dx, int rows, int height, int width, int channels, int f)
        {
            long long count = (long long)rows * height * width * channels;
            int wide = width * f;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i;
                unsigned int c = u % (unsigned int)channels, pixel = u / (unsigned int)channels;
                unsigned int w = pixel % (unsigned int)width, rest = pixel / (unsigned int)width;
                unsigned int h = rest % (unsigned int)height, r = rest / (unsigned int)height;
                const float* block = dy + (((long long)r * height * f + (long long)h * f) * wide + (long long)w * f) * channels + c;
                float sum = 0.0f;
                for (int a = 0; a < f; a++)
                {
                    for (int b = 0; b < f; b++)
                    {
                        sum += block[((long long)a * wide + b) * channels];
                    }
                }

                dx[i] = sum;
            }
        }

        // InstanceNorm, one thread per (row, channel) of x (rows, pixels x channels), channels-last: the channel's mean and
        // biased deviation over the row's pixels in order (as CpuBackend), then pass 0: y = scale x^ + shift (x^ alone
        // when ss, the (2, channels) scales and shifts, is null); 1: y = dy x^; 2: y = dx = (g - mean g - x^ mean(g x^)) / sigma, g = dy scale.
        extern "C" __global__ void gandsl_instance_norm(const float* __restrict__ x, const float* __restrict__ dy, const float* __restrict__ ss, float* __restrict__ y,
            int rows, int pixels, int channels, float epsilon, int pass)
        {
            long long task = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (task >= (long long)rows * channels) return;
            int r = (int)(task / channels), c = (int)(task % channels);
            long long first = (long long)r * pixels * channels + c;
            float sum = 0.0f;
            for (int p = 0; p < pixels; p++) sum += x[first + (long long)p * channels];
            float mean = sum / pixels, squares = 0.0f;
            for (int p = 0; p < pixels; p++)
            {
                float d = x[first + (long long)p * channels] - mean;
                squares += d * d;
            }
            float inverse = 1.0f / sqrtf(squares / pixels + epsilon);
            float scale = ss != 0 ? ss[c] : 1.0f, shift = ss != 0 ? ss[channels + c] : 0.0f;
            if (pass == 2)
            {
                float sumG = 0.0f, sumGx = 0.0f;
                for (int p = 0; p < pixels; p++)
                {
                    long long i = first + (long long)p * channels;
                    float g = dy[i] * scale;
                    sumG += g;
                    sumGx += g * ((x[i] - mean) * inverse);
                }
                float meanG = sumG / pixels, meanGx = sumGx / pixels;
                for (int p = 0; p < pixels; p++)
                {
                    long long i = first + (long long)p * channels;
                    y[i] = inverse * (dy[i] * scale - meanG - (x[i] - mean) * inverse * meanGx);
                }
                return;
            }
            for (int p = 0; p < pixels; p++)
            {
                long long i = first + (long long)p * channels;
                float normalised = (x[i] - mean) * inverse;
                y[i] = pass == 0 ? scale * normalised + shift : dy[i] * normalised;
            }
        }

        // PReLU, elementwise, channel c = i % channels (channels-last). pass 0: y = z > 0 ? z : a[c] z (second = slopes);
        // 1: y = z > 0 ? 0 : dy z, the slopes' terms (second = dy); 2: y = z > 0 ? dy : a[c] dy (second = slopes).
        extern "C" __global__ void gandsl_prelu(const float* __restrict__ z, const float* __restrict__ second, const float* __restrict__ dy, float* __restrict__ y,
            int count, int channels, int pass)
        {
            for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x)
            {
                float v = z[i];
                int c = (int)((unsigned int)i % (unsigned int)channels);
                y[i] = pass == 0 ? (v > 0.0f ? v : second[c] * v)
                    : pass == 1 ? (v > 0.0f ? 0.0f : second[i] * v)
                    : (v > 0.0f ? dy[i] : second[c] * dy[i]);
            }
        }

        // ConditionMultiply's forward, and its input gradient: y[r, j] = x[r, j] * table[label r, j], table (classes, n).
        extern "C" __global__ void gandsl_multiply_embedding(const float* __restrict__ x, const float* __restrict__ labels, const float* __restrict__ table, float* __restrict__ y,
            int rows, int n, int classes)
        {
            long long count = (long long)rows * n;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i;
                int r = (int)(u / (unsigned int)n), j = (int)(u % (unsigned int)n);
                int label = (int)labels[r];
                y[i] = label >= 0 && label < classes ? x[i] * table[(long long)label * n + j] : 0.0f;
            }
        }

        // ConditionMultiply's table gradient: tg (classes, n) (+)= dy * x summed over the rows with that label, in row order
        // (as CpuBackend); one thread per table entry, no atomics.
        extern "C" __global__ void gandsl_multiply_embedding_table(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ labels,
            float* __restrict__ tg, int rows, int n, int classes, int accumulate)
        {
            int entry = blockIdx.x * blockDim.x + threadIdx.x;
            if (entry >= classes * n) return;
            int label = entry / n, j = entry % n;
            float sum = accumulate ? tg[entry] : 0.0f;
            for (int r = 0; r < rows; r++)
            {
                if ((int)labels[r] != label || (float)label != labels[r]) continue;
                long long o = (long long)r * n + j;
                sum = fmaf(dy[o], x[o], sum);
            }
            tg[entry] = sum;
        }

        // Condition's forward: y row r = per pixel, the pixel's channels of x then the label's embedding row of table (classes, e).
        extern "C" __global__ void gandsl_concat_embedding(const float* __restrict__ x, const float* __restrict__ labels, const float* __restrict__ table, float* __restrict__ y,
            int rows, int pixels, int channels, int e, int classes)
        {
            int width = channels + e;
            long long count = (long long)rows * pixels * width;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int u = (unsigned int)i;
                int j = (int)(u % (unsigned int)width);
                unsigned int pixel = u / (unsigned int)width;
                int r = (int)(pixel / (unsigned int)pixels), p = (int)(pixel % (unsigned int)pixels);
                int label = (int)labels[r];
                bool valid = label >= 0 && label < classes;
                y[i] = j < channels
                    ? x[((long long)r * pixels + p) * channels + j]
                    : (valid ? table[(long long)label * e + (j - channels)] : 0.0f);
            }
        }

        // Condition's backward, input part: dx (rows, pixels * channels) = the channel part of dy (rows, pixels * (channels + e)).
        extern "C" __global__ void gandsl_embedding_dx(const float* __restrict__ dy, float* __restrict__ dx, int rows, int pixels, int channels, int e)
        {
            long long count = (long long)rows * pixels * channels;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                unsigned int pixel = (unsigned int)i / (unsigned int)channels;
                int j = (int)((unsigned int)i % (unsigned int)channels);
                dx[i] = dy[pixel * (channels + e) + j];
            }
        }

        // Condition's backward, table part: tg (classes, e) (+)= the embedding part of dy summed over the rows with that label and
        // their pixels, rows then pixels in order (as CpuBackend); one thread per table entry, no atomics.
        extern "C" __global__ void gandsl_embedding_table(const float* __restrict__ dy, const float* __restrict__ labels, float* __restrict__ tg,
            int rows, int pixels, int channels, int e, int classes, int accumulate)
        {
            int entry = blockIdx.x * blockDim.x + threadIdx.x;
            if (entry >= classes * e) return;
            int label = entry / e, j = entry % e;
            float sum = accumulate ? tg[entry] : 0.0f;
            int width = channels + e;
            for (int r = 0; r < rows; r++)
            {
                if ((int)labels[r] != label || (float)label != labels[r]) continue;
                for (int p = 0; p < pixels; p++) sum += dy[((long long)r * pixels + p) * width + channels + j];
            }
            tg[entry] = sum;
        }

        // BatchNorm statistics per column of x (rows, cols), in slices (above), two passes as CpuBackend makes them:
        // the batch mean into saved[0..cols), then the squared deviations from it give 1 / sqrt(biased variance + eps)
        // in saved[cols..2 cols) and PyTorch's running update (unbiased variance) of running (means, then variances).
        extern "C" __global__ void gandsl_batchnorm_mean(const float* __restrict__ x, float* __restrict__ saved, int rows, int cols,
            float* __restrict__ partials, unsigned int* __restrict__ tickets)
        {
            int c = blockIdx.x * 32 + threadIdx.x, first, end;
            slice_rows(rows, &first, &end);
            float sum = 0.0f;
            if (c < cols)
                for (int r = first + threadIdx.y; r < end; r += 8) sum += x[(long long)r * cols + c];
            if (!slice_done(sum, partials, tickets, c, cols)) return;
            if (threadIdx.y == 0 && c < cols) saved[c] = slice_total(partials, c, cols) / (float)rows;
        }

        extern "C" __global__ void gandsl_batchnorm_variance(const float* __restrict__ x, float* __restrict__ saved, float* __restrict__ running,
            int rows, int cols, float momentum, float eps, float* __restrict__ partials, unsigned int* __restrict__ tickets)
        {
            int c = blockIdx.x * 32 + threadIdx.x, first, end;
            slice_rows(rows, &first, &end);
            float squares = 0.0f;
            if (c < cols)
            {
                float mean = saved[c];
                for (int r = first + threadIdx.y; r < end; r += 8)
                {
                    float d = x[(long long)r * cols + c] - mean;
                    squares += d * d;
                }
            }
            if (!slice_done(squares, partials, tickets, c, cols)) return;
            if (threadIdx.y == 0 && c < cols)
            {
                float total = slice_total(partials, c, cols);
                float mean = saved[c];
                float variance = total / (float)rows;
                saved[cols + c] = 1.0f / sqrtf(variance + eps);
                running[c] = (1.0f - momentum) * running[c] + momentum * mean;
                running[cols + c] = (1.0f - momentum) * running[cols + c] + momentum * (rows > 1 ? total / (float)(rows - 1) : variance);
            }
        }

        // BatchNorm in evaluation: the running statistics as mean and 1 / std.
        extern "C" __global__ void gandsl_batchnorm_running(float* __restrict__ saved, const float* __restrict__ running, int cols, float eps)
        {
            int c = blockIdx.x * blockDim.x + threadIdx.x;
            if (c < cols)
            {
                saved[c] = running[c];
                saved[cols + c] = 1.0f / sqrtf(running[cols + c] + eps);
            }
        }

        // BatchNorm's input gradient: dx = gamma / std (dy - sum(dy) / n - xhat sum(dy xhat) / n), the sums from saved
        // (mean, 1 / std, sum(dy), sum(dy xhat); cols each).
        extern "C" __global__ void gandsl_batchnorm_dx(const float* __restrict__ dy, const float* __restrict__ x, const float* __restrict__ saved, const float* __restrict__ gamma,
            float* __restrict__ dx, int rows, int cols)
        {
            float invN = 1.0f / (float)rows;
            long long count = (long long)rows * cols;
            for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
            {
                int j = (int)((unsigned int)i % (unsigned int)cols);
                float inv = saved[cols + j];
                float xhat = (x[i] - saved[j]) * inv;
                dx[i] = gamma[j] * inv * (dy[i] - saved[2 * cols + j] * invN - xhat * saved[3 * cols + j] * invN);
            }
        }
        """;
}
