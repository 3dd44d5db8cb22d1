namespace GanDsl.Training;

/// <summary>How <see cref="Trainer"/> runs a step over the data and what it writes: its seed, sample grids, curves, checkpoints, progress.</summary>
public record TrainerOptions
{
    /// <summary>Seed of the step's noise and dropout, the shuffling and the sample grids (default 0).</summary>
    public ulong Seed { get; init; }

    /// <summary>Where sample grids are written (<c>epoch_001.png</c>, ...); null writes none.</summary>
    public string? SampleDirectory { get; init; }

    /// <summary>
    /// Where checkpoints go (<c>checkpoint_e003_s0002811.safetensors</c>, ...): after every
    /// <see cref="CheckpointEvery"/> epochs, at the end, and when training is cancelled. Null writes none.
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Epochs between checkpoints (default 1); 0 writes them only at the end and when cancelled.</summary>
    public int CheckpointEvery { get; init; } = 1;

    /// <summary>Checkpoints kept in <see cref="CheckpointDirectory"/>; older ones are deleted (default 3).</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Where the training curves go: <c>training.csv</c> (a row every <see cref="LogEvery"/> steps) and <c>training.png</c> (every epoch). Null writes neither.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Steps between rows of the training log (default 100).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Where progress and per-epoch lines go (default: none).</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Show a progress bar within each epoch when <see cref="Log"/> is an interactive console (default true).</summary>
    public bool ProgressBar { get; init; } = true;

    /// <summary>
    /// On a backend that can (CUDA), record each kind of step once as a graph and replay it, so a step costs one
    /// launch instead of dozens (default on). Off runs every call directly, for comparison.
    /// </summary>
    public bool CaptureSteps { get; init; } = true;

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
