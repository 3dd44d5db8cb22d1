namespace GanDsl;

/// <summary>How <see cref="Trainer"/> runs a step over the data and what it writes: its seed, sample grids, curves, checkpoints, progress.</summary>
public record TrainerOptions
{
    /// <summary>Seed of the step's noise and dropout, the shuffling and the sample grids (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// One folder for everything a run writes: sample grids and <c>real.png</c>, <c>training.csv</c> and
    /// <c>training.png</c>, and <c>checkpoints/</c>. <see cref="SampleDirectory"/>, <see cref="LogDirectory"/> and
    /// <see cref="CheckpointDirectory"/> default to it (null: none of them, unless set one by one).
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Where sample grids are written (<c>epoch_001.png</c>, ..., and <c>real.png</c>, a grid of training images); null writes none.</summary>
    public string? SampleDirectory
    {
        get => _sampleDirectory ?? OutputDirectory;
        init => _sampleDirectory = value;
    }

    /// <summary>
    /// Where checkpoints go (<c>checkpoint_e003_s0002811.safetensors</c>, ...): after every
    /// <see cref="CheckpointEvery"/> epochs, at the end, and when training is cancelled. Null writes none.
    /// </summary>
    public string? CheckpointDirectory
    {
        get => _checkpointDirectory ?? (OutputDirectory is { } output ? Path.Combine(output, "checkpoints") : null);
        init => _checkpointDirectory = value;
    }

    /// <summary>Epochs between checkpoints (default 1); 0 writes them only at the end and when cancelled.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checkpoints kept in <see cref="CheckpointDirectory"/>; older ones are deleted (default 3).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Where the training curves go: <c>training.csv</c> (a row every <see cref="LogEvery"/> steps) and <c>training.png</c> (every epoch). Null writes neither.</summary>
    public string? LogDirectory
    {
        get => _logDirectory ?? OutputDirectory;
        init => _logDirectory = value;
    }

    /// <summary>Steps between rows of the training log (default 100).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>
    /// Where the run's first lines (device, each network's summary and memory, the plan), progress and per-epoch lines
    /// go (default: the console, as Keras' <c>verbose=1</c>); null prints nothing.
    /// </summary>
    public TextWriter? Log { get; init; } = Console.Out;

    /// <summary>Show a progress bar within each epoch when <see cref="Log"/> is an interactive console (default true).</summary>
    public bool ProgressBar { get; init; } = true;

    /// <summary>
    /// When <see cref="Trainer.Fit"/> is given no cancellation token, Ctrl+C and SIGTERM stop it after the current step,
    /// writing a checkpoint of that point, instead of killing the process (default true; a second Ctrl+C kills).
    /// </summary>
    public bool StopOnInterrupt { get; init; } = true;

    /// <summary>
    /// On a backend that can (CUDA), record each kind of step once as a graph and replay it, so a step costs one
    /// launch instead of dozens (default on). Off runs every call directly, for comparison.
    /// </summary>
    public bool CaptureSteps { get; init; } = true;

    private readonly string? _sampleDirectory;
    private readonly string? _checkpointDirectory;
    private readonly string? _logDirectory;

    /// <summary>Checks the options, naming the first bad one.</summary>
    public virtual void Validate()
    {
        if (CheckpointEvery < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointEvery), CheckpointEvery, "CheckpointEvery must be 0 or more.");
        }

        if (KeepCheckpoints <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(KeepCheckpoints), KeepCheckpoints, "KeepCheckpoints must be positive.");
        }

        if (LogEvery <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LogEvery), LogEvery, "LogEvery must be positive.");
        }
    }
}
