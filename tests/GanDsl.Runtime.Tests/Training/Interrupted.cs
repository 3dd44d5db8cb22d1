using GanDsl.Data;

namespace GanDsl.Tests.Training;

/// <summary>A run stopped part-way, as a user's Ctrl+C stops it: the trainer writes its checkpoint on the cancellation.</summary>
internal static class Interrupted
{
    /// <summary>Fits <paramref name="trainer"/> towards <paramref name="epochs"/>, cancelled once step <paramref name="stopAt"/> completes.</summary>
    public static void Fit(Trainer trainer, ImageDataset data, int epochs, long stopAt)
    {
        using var stop = new CancellationTokenSource();
        trainer.StepCompleted += s =>
        {
            if (s == stopAt)
            {
                stop.Cancel();
            }
        };
        trainer.Fit(data, epochs, stop.Token);
    }
}
