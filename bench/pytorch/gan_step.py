#!/usr/bin/env python3
"""Times one full GAN training step in PyTorch, the same step GanDsl's GanTrainer runs.

One step (identical Python code in every mode; see README.md):
  1. z ~ N(0, 1), shape (B, 100), drawn on the GPU;
  2. the real batch gathered from a GPU-resident uint8 dataset (60000 x 784 random bytes) through a
     permutation index and scaled x / 127.5 - 1 to float32;
  3. fake = G(z);
  4. discriminator update on ONE batch of 2B rows [fake.detach(); real]: BCE-with-logits, mean over the
     fake half (target 0) plus mean over the real half (target 1); Adam step;
  5. generator update through the UPDATED discriminator on the same fake (non-saturating loss:
     BCE-with-logits against 1, mean), with D's parameters requires_grad_(False) during that backward
     so no D weight gradients are computed; Adam step.

Modes:
  eager      plain PyTorch.
  compile    torch.compile(mode="reduce-overhead", dynamic=False) of the three pieces of the step that
             contain the networks: generate (G forward), the discriminator loss (scaling of the real
             batch, concatenation, D forward, both BCE halves) and the generator loss (D forward, BCE).
             Their backward passes are compiled too (AOTAutograd), and "reduce-overhead" replays all of
             them as CUDA graphs (CUDA graph trees).  Noise, the gather of the real uint8 rows and the
             two Adam steps (fused=True) run eagerly between the graphs: backward() and optimizer.step()
             are graph breaks for torch.compile, and compiling the models is the idiomatic way to get
             CUDA graphs for training in torch 2.x.
  cudagraph  (opt-in, not in the defaults) the eager step captured WHOLE, optimizers included
             (Adam fused=True, capturable=True), into one torch.cuda.CUDAGraph and replayed: PyTorch's
             documented "whole-network capture".  The closest analogue of GanDsl's graph mode.

Output: CSV rows framework,model,mode,batch,us_per_step,images_per_s,device on stdout (--csv), a
readable table otherwise; per-repeat lines, versions and diagnostics on stderr.
Timing: warm-up first, CUDA events around the timed loop
(synchronized before it starts), median over repeats, the GPU's name in every row.
"""

import argparse
import csv
import gc
import math
import statistics
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

NOISE = 100          # generator input features
PIXELS = 784         # 28 x 28
DATASET = 60000      # MNIST's training set size
FRAMEWORK = "pytorch"
COLUMNS = ["framework", "model", "mode", "batch", "us_per_step", "images_per_s", "device"]
ALL_MODES = ["eager", "compile", "cudagraph"]


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def first_line(exc):
    """The exception's type and first line (and the next one when the first only introduces it)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    text = " ".join(lines[:2]) if len(lines) > 1 and lines[0].endswith(":") else (lines[0] if lines else "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------

def mlp_models():
    """The seed GAN (samples/MnistGan, bench/GanDsl.Bench/Models.cs), PyTorch's default init."""
    g = nn.Sequential(
        nn.Linear(NOISE, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, PIXELS), nn.Tanh())
    d = nn.Sequential(
        nn.Linear(PIXELS, 100), nn.LeakyReLU(0.2),
        nn.Linear(100, 50), nn.LeakyReLU(0.2),
        nn.Linear(50, 1))
    return g, d


def dcgan_models():
    """The TensorFlow DCGAN tutorial's MNIST models as samples/Dcgan/Models.cs declares them (NCHW here).

    Keras initialisation like GanDsl's [Initialization(WeightInit.Keras)]: Glorot-uniform weights, zero
    biases (BatchNorm keeps scale 1, shift 0).  It does not change the cost of a step, only keeps the
    training comparable.  GanDsl's BatchNorm defaults (momentum 0.1, eps 1e-5) are PyTorch's.
    """
    g = nn.Sequential(
        nn.Linear(NOISE, 7 * 7 * 256, bias=False), nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.3),
        nn.Unflatten(1, (256, 7, 7)),
        nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(64),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(1, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(7 * 7 * 128, 1))
    for net in (g, d):
        for m in net.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
    return g, d


# Per model: builder, Adam settings (as GanDsl's samples use them), shape of one image as D reads it,
# and default step counts for the per-step timing.
MODELS = {
    # GanOptions' defaults: Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8.
    "mlp": dict(build=mlp_models, lr=2e-4, betas=(0.5, 0.999), eps=1e-8, image=(PIXELS,),
                steps=200, warmup=50, repeats=5),
    # samples/Dcgan/Program.cs: AdamSettings(1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7) (Keras').
    "dcgan": dict(build=dcgan_models, lr=1e-4, betas=(0.9, 0.999), eps=1e-7, image=(1, 28, 28),
                  steps=50, warmup=10, repeats=5),
}


# --------------------------------------------------------------------------------------------------
# The step
# --------------------------------------------------------------------------------------------------

def step_functions(g, d, batch, image):
    """The three pieces of the step that hold the networks, as plain functions (compiled in 'compile')."""

    def generate(z):
        return g(z)

    def discriminator_loss(fake, real_u8):
        # x / 127.5 - 1 in float32, then one batch of 2B rows [fake; real].
        real = real_u8.to(torch.float32).div(127.5).sub(1.0).view(batch, *image)
        logits = d(torch.cat([fake, real]))
        fake_logits, real_logits = logits[:batch], logits[batch:]
        # Mean over the fake half (target 0) plus mean over the real half (target 1).
        return (F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
                + F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)))

    def generator_loss(fake):
        # Non-saturating: BCE-with-logits of D(G(z)) against 1, mean.
        logits = d(fake)
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))

    return generate, discriminator_loss, generator_loss


def mark_step_begin():
    """Tells CUDA graph trees that a new training iteration starts (outputs of the last one are dead)."""
    fn = getattr(getattr(torch, "compiler", None), "cudagraph_mark_step_begin", None)
    if fn is None:
        from torch._inductor import cudagraph_trees  # older spelling
        fn = cudagraph_trees.mark_step_begin
    fn()


class GanBench:
    """Models, optimizers, data and one training step in a given mode, for one batch size."""

    def __init__(self, spec, batch, mode, device, data, seed, graph_warmup=3):
        torch.manual_seed(seed)
        self.batch = batch
        self.mode = mode
        self.device = device
        self.data = data
        self.steps_per_epoch = DATASET // batch
        self.steps_done = 0
        g, d = spec["build"]()
        self.g, self.d = g.to(device).train(), d.to(device).train()

        adam = dict(lr=spec["lr"], betas=spec["betas"], eps=spec["eps"])
        if device.type == "cuda":
            adam["fused"] = True            # one multi-tensor kernel per optimizer step
        else:
            adam["foreach"] = True          # CPU smoke tests only
        if mode == "cudagraph":
            adam["capturable"] = True       # step counters on the GPU, safe inside a captured graph
        self.opt_g = torch.optim.Adam(self.g.parameters(), **adam)
        self.opt_d = torch.optim.Adam(self.d.parameters(), **adam)

        # The epoch's order of the images; a static buffer so that a captured graph can read it.
        self.perm = torch.randperm(DATASET, device=device)
        self.pos = 0          # batch index in the epoch (eager, compile)
        self.pos_t = None     # image offset in the epoch, on the GPU (cudagraph)

        generate, d_loss, g_loss = step_functions(self.g, self.d, batch, spec["image"])
        if mode == "compile":
            # Buffers (BatchNorm's running statistics) are mutated by the forward graph; static
            # addresses let CUDA graph trees replay it instead of skipping it.  Parameters are static
            # already.  Best effort: the diagnostics line says whether any graph was skipped.
            try:
                for buf in list(self.g.buffers()) + list(self.d.buffers()):
                    torch._dynamo.mark_static_address(buf)
            except Exception as exc:  # noqa: BLE001 - diagnostics only
                log(f"  note: mark_static_address failed ({first_line(exc)})")
            opts = dict(mode="reduce-overhead", dynamic=False)
            generate = torch.compile(generate, **opts)
            d_loss = torch.compile(d_loss, **opts)
            g_loss = torch.compile(g_loss, **opts)
        self.generate, self.d_loss, self.g_loss = generate, d_loss, g_loss

        if mode == "cudagraph":
            self._capture(graph_warmup)

    # -- the step, shared by all modes ------------------------------------------------------------

    def _train(self, z, real_u8):
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_d.zero_grad(set_to_none=True)
        fake = self.generate(z)

        # Discriminator: one batch of 2B rows, fake detached.
        loss_d = self.d_loss(fake.detach(), real_u8)
        loss_d.backward()
        self.opt_d.step()

        # Generator through the updated discriminator, on the same fake; no D weight gradients.
        self.d.requires_grad_(False)
        loss_g = self.g_loss(fake)
        loss_g.backward()
        self.opt_g.step()
        self.d.requires_grad_(True)
        return loss_d, loss_g

    def _noise(self):
        return torch.randn(self.batch, NOISE, device=self.device)

    def _step_python_position(self):
        b = self.batch
        idx = self.perm[self.pos * b:(self.pos + 1) * b]
        self.pos = (self.pos + 1) % self.steps_per_epoch
        real_u8 = self.data.index_select(0, idx)
        return self._train(self._noise(), real_u8)

    def _step_device_position(self):
        # Everything on the GPU, so that it can be captured: the position advances inside the graph.
        idx = self.perm.index_select(0, self.pos_t + self._arange)
        self.pos_t.add_(self.batch).remainder_(self.steps_per_epoch * self.batch)
        real_u8 = self.data.index_select(0, idx)
        return self._train(self._noise(), real_u8)

    def _capture(self, warmup):
        """Whole-step capture as in PyTorch's CUDA-graph notes: warm up on a side stream, then capture."""
        self.pos_t = torch.zeros((), dtype=torch.long, device=self.device)
        self._arange = torch.arange(self.batch, device=self.device)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(max(warmup, 1)):   # Adam's state, cuDNN's algorithm choice, cuBLAS handles
                self._step_device_position()
                self.steps_done += 1
        torch.cuda.current_stream().wait_stream(side)
        self.opt_g.zero_grad(set_to_none=True)    # gradients get allocated from the graph's pool
        self.opt_d.zero_grad(set_to_none=True)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.static_losses = self._step_device_position()

    # -- public ----------------------------------------------------------------------------------

    def step(self):
        """One full training step; returns (D loss, G loss) as device tensors (no synchronisation)."""
        self.steps_done += 1
        if self.mode == "cudagraph":
            self.graph.replay()
            return self.static_losses
        if self.mode == "compile":
            # Drop last step's gradients (outputs of the backward graphs) before telling CUDA graph
            # trees that a new iteration starts; _train's own zero_grad is then a no-op.
            self.opt_g.zero_grad(set_to_none=True)
            self.opt_d.zero_grad(set_to_none=True)
            mark_step_begin()
        return self._step_python_position()

    def new_epoch(self):
        """A fresh permutation of the dataset, as at the start of every epoch."""
        self.perm.copy_(torch.randperm(DATASET, device=self.device))
        self.pos = 0
        if self.pos_t is not None:
            self.pos_t.zero_()


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------

def timed(device, fn):
    """Seconds that fn's device work takes: CUDA events on a GPU (queue drained first), else a clock."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def dynamo_counters():
    """(unique graphs, graph breaks, cudagraph skips) from torch._dynamo's counters, best effort."""
    try:
        from torch._dynamo.utils import counters
        graphs = counters["stats"].get("unique_graphs", 0)
        breaks = sum(counters["graph_break"].values())
        skips = sum(counters["inductor"].get(k, 0) for k in ("cudagraph_skips",))
        return graphs, breaks, skips
    except Exception:  # noqa: BLE001 - private API, diagnostics only
        return None


def reset_compiler():
    try:
        torch._dynamo.reset()
    except Exception:  # noqa: BLE001 - absent on old versions
        pass


def check_losses(bench, losses, label):
    """Reads the last step's losses (after timing); a non-finite loss means the step is broken."""
    ld, lg = (float(t) for t in losses)
    ok = math.isfinite(ld) and math.isfinite(lg)
    log(f"  {label}: after {bench.steps_done} steps D loss {ld:.4f}, G loss {lg:.4f}"
        + ("" if ok else "  <-- NOT FINITE"))
    return ok


def run_config(args, model, mode, batch, device, data, epoch):
    """Builds, warms up and times one (model, mode, batch); returns (seconds per step, repeat seconds)."""
    spec = MODELS[model]
    steps = args.steps or spec["steps"]
    warmup = args.warmup if args.warmup is not None else spec["warmup"]
    if mode != "eager":
        warmup = max(warmup, 5)   # compilation, then CUDA graph recording, happen in the first calls
    repeats = args.repeats or (3 if epoch else spec["repeats"])
    label = f"{model} {mode} batch {batch}" + (" epoch" if epoch else "")

    reset_compiler()
    t0 = time.perf_counter()
    bench = GanBench(spec, batch, mode, device, data, args.seed)
    losses = None
    for _ in range(warmup):
        losses = bench.step()
    sync(device)
    log(f"  {label}: set-up and {warmup} warm-up steps took {time.perf_counter() - t0:.1f} s")
    before = dynamo_counters() if mode == "compile" else None
    if before is not None:
        log(f"  {label}: torch.compile: {before[0]} graphs, {before[1]} graph breaks, "
            f"{before[2]} CUDA-graph skips")

    def run_steps():
        nonlocal losses
        for _ in range(steps):
            losses = bench.step()

    def run_epoch():
        nonlocal losses
        bench.new_epoch()
        for _ in range(bench.steps_per_epoch):
            losses = bench.step()

    samples = []
    for r in range(repeats):
        if epoch:
            seconds = timed(device, run_epoch)
            per_step = seconds / bench.steps_per_epoch
            log(f"  {label} repeat {r + 1}/{repeats}: {seconds:.3f} s for {bench.steps_per_epoch} steps, "
                f"{per_step * 1e6:.1f} us/step")
        else:
            seconds = timed(device, run_steps)
            per_step = seconds / steps
            log(f"  {label} repeat {r + 1}/{repeats}: {per_step * 1e6:.1f} us/step")
        samples.append(seconds)

    after = dynamo_counters() if mode == "compile" else None
    if before is not None and after is not None and after[0] != before[0]:
        log(f"  {label}: WARNING: {after[0] - before[0]} graph(s) compiled during timing")
    finite = check_losses(bench, losses, label)
    median = statistics.median(samples)
    n = bench.steps_per_epoch if epoch else steps
    log(f"  {label}: median {median / n * 1e6:.1f} us/step (min {min(samples) / n * 1e6:.1f}, "
        f"max {max(samples) / n * 1e6:.1f})")
    if epoch:
        log(f"epoch: {median:.3f} s")
    del bench, losses
    return median / n, finite


# --------------------------------------------------------------------------------------------------
# Set-up, output, main
# --------------------------------------------------------------------------------------------------

def set_precision(tf32):
    """TF32 off by default (exact fp32, as GanDsl).

    The legacy flags first: Inductor reads them too, and mixing them with the newer fp32_precision
    settings can raise.  The newer settings only if the legacy ones are gone.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.backends.cuda.matmul.allow_tf32 = tf32
            torch.backends.cudnn.allow_tf32 = tf32
            torch.set_float32_matmul_precision("high" if tf32 else "highest")
        except Exception as exc:  # noqa: BLE001 - a torch without the legacy flags
            log(f"legacy TF32 flags failed ({first_line(exc)}); using fp32_precision")
            torch.backends.cuda.matmul.fp32_precision = "tf32" if tf32 else "ieee"
            torch.backends.cudnn.conv.fp32_precision = "tf32" if tf32 else "ieee"
    torch.backends.cudnn.benchmark = True


def precision_state():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return (f"matmul.allow_tf32={torch.backends.cuda.matmul.allow_tf32}, "
                    f"cudnn.allow_tf32={torch.backends.cudnn.allow_tf32}, "
                    f"float32_matmul_precision={torch.get_float32_matmul_precision()}")
        except Exception:  # noqa: BLE001 - newer settings only
            return (f"matmul.fp32_precision={torch.backends.cuda.matmul.fp32_precision}, "
                    f"cudnn.conv.fp32_precision={torch.backends.cudnn.conv.fp32_precision}")


def describe_environment(device, tf32):
    log(f"python {sys.version.split()[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"cuDNN {torch.backends.cudnn.version()}")
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        log(f"device: {torch.cuda.get_device_name(device)}, capability {props.major}.{props.minor}, "
            f"{props.multi_processor_count} SMs, {props.total_memory / 2**30:.1f} GiB")
    else:
        log("device: CPU (smoke test only: numbers are not comparable)")
    log(f"TF32: {'on' if tf32 else 'off'} ({precision_state()}), cudnn.benchmark=True")


def device_name(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return "cpu"


class Output:
    """CSV on stdout (--csv), or a padded table; rows are printed as they come, so partial runs count."""

    WIDTHS = [9, 6, 17, 6, 12, 13, 0]

    def __init__(self, as_csv):
        self.as_csv = as_csv
        self.writer = csv.writer(sys.stdout, lineterminator="\n")
        self.row(COLUMNS)

    def row(self, values):
        if self.as_csv:
            self.writer.writerow(values)
        else:
            print("  ".join(str(v).ljust(w) for v, w in zip(values, self.WIDTHS)).rstrip())
        sys.stdout.flush()


def make_dataset(device, seed):
    """MNIST-shaped random bytes, resident on the device (a step's cost does not depend on the values)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed + 12345)
    return torch.randint(0, 256, (DATASET, PIXELS), dtype=torch.uint8, device=device, generator=gen)


def run_check(args, device, data):
    """200 steps at batch 64 (or the first --batch) with a fixed seed; D and G loss every 50 steps."""
    modes = args.mode or ["eager"]
    batch = args.batch[0] if args.batch else 64
    total = args.steps or 200
    ok = True
    for model in args.model:
        for mode in modes:
            reset_compiler()
            try:
                bench = GanBench(MODELS[model], batch, mode, device, data, args.seed)
                while bench.steps_done < total:
                    ld, lg = bench.step()
                    if bench.steps_done % 50 == 0 or bench.steps_done == total:
                        ld, lg = float(ld), float(lg)
                        finite = math.isfinite(ld) and math.isfinite(lg)
                        ok &= finite
                        print(f"check {model} {mode} batch {batch} step {bench.steps_done}: "
                              f"D loss {ld:.4f}  G loss {lg:.4f}" + ("" if finite else "  NOT FINITE"),
                              flush=True)
                del bench
            except Exception as exc:  # noqa: BLE001 - report and go on with the next mode
                ok = False
                print(f"check {model} {mode} batch {batch}: FAILED: {first_line(exc)}", flush=True)
                if args.traceback:
                    import traceback
                    traceback.print_exc()
            gc.collect()
    print("check: " + ("all losses finite" if ok else "FAILED"), flush=True)
    return 0 if ok else 1


def parse_args(argv):
    p = argparse.ArgumentParser(description="Times one full GAN training step in PyTorch (see README.md).")
    p.add_argument("--model", nargs="+", choices=sorted(MODELS), default=["mlp"],
                   help="model(s) to time (default: mlp)")
    p.add_argument("--batch", nargs="+", type=int, default=None,
                   help="batch sizes (default: 64 256 1024; 64 with --epoch or --check)")
    p.add_argument("--mode", nargs="+", choices=ALL_MODES, default=None,
                   help="modes (default: eager compile; eager with --check); cudagraph is opt-in")
    p.add_argument("--steps", type=int, default=None,
                   help="timed steps per repeat (default: 200 for mlp, 50 for dcgan; 200 with --check)")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed steps first (default: 50 for mlp, 10 for dcgan; at least 5 when compiled)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats, the median is reported (default: 5; 3 epochs with --epoch)")
    p.add_argument("--tf32", action="store_true",
                   help="allow TF32 in matmuls and convolutions (modes get a '-tf32' suffix)")
    p.add_argument("--csv", action="store_true", help="CSV on stdout (else a padded table)")
    p.add_argument("--epoch", action="store_true",
                   help="time full epochs (60000 // batch steps plus the permutation); modes get '-epoch'")
    p.add_argument("--check", action="store_true",
                   help="sanity check: 200 steps, D and G loss every 50; exit 1 unless all finite")
    p.add_argument("--seed", type=int, default=0, help="seed of models, noise and data (default 0)")
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu for a smoke test")
    p.add_argument("--traceback", action="store_true", help="print the full traceback of a failed mode")
    args = p.parse_args(argv)
    for name in ("steps", "warmup", "repeats"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "warmup" else 1):
            p.error(f"--{name} must be positive")
    if args.batch is not None and any(b < 1 or b > DATASET for b in args.batch):
        p.error(f"--batch must be between 1 and {DATASET}")
    return args


def main(argv=None):
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        log("CUDA is not available (use --device cpu for a smoke test)")
        return 2
    set_precision(args.tf32)
    describe_environment(device, args.tf32)
    data = make_dataset(device, args.seed)

    if args.check:
        return run_check(args, device, data)

    batches = args.batch or ([64] if args.epoch else [64, 256, 1024])
    modes = args.mode or ["eager", "compile"]
    out = Output(args.csv)
    name = device_name(device)
    failures = 0
    for model in args.model:
        for mode in modes:
            for batch in batches:
                label = mode + ("-tf32" if args.tf32 else "") + ("-epoch" if args.epoch else "")
                try:
                    seconds, finite = run_config(args, model, mode, batch, device, data, args.epoch)
                except Exception as exc:  # noqa: BLE001 - one failing mode must not end the run
                    failures += 1
                    log(f"# {model} {mode} batch {batch}: FAILED, no row written: {first_line(exc)}")
                    if args.traceback:
                        import traceback
                        traceback.print_exc()
                    seconds, finite = None, False
                finally:
                    reset_compiler()
                    gc.collect()
                    if device.type == "cuda":
                        try:
                            torch.cuda.empty_cache()
                        except Exception:  # noqa: BLE001 - a broken context is reported above
                            pass
                if seconds is None:
                    continue
                if not finite:
                    failures += 1
                    log(f"# {model} {mode} batch {batch}: losses not finite, row written anyway")
                out.row([FRAMEWORK, model, label, batch, f"{seconds * 1e6:.1f}",
                         int(round(batch / seconds)), name])
    if failures:
        log(f"{failures} configuration(s) failed; see the lines starting with '#'")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
