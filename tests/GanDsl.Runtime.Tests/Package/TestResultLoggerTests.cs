using GanDsl.TestLogger;
using Microsoft.VisualStudio.TestPlatform.ObjectModel;
using TestResult = Microsoft.VisualStudio.TestPlatform.ObjectModel.TestResult;

namespace GanDsl.Tests.Package;

/// <summary>What `dotnet test` prints per test through GanDsl.TestLogger: a skip on one line with its reason, a failure with its details, a pass not at all.</summary>
public sealed class TestResultLoggerTests
{
    private static TestResult Result(TestOutcome outcome, string? message = null) =>
        new(new TestCase("GanDsl.Tests.Cuda.Parity.Matches", new Uri("executor://xunit/VsTestRunner3/netcore/"), "GanDsl.Runtime.Tests.dll") { DisplayName = "Parity.Matches(name: \"Seed\")" })
        {
            Outcome = outcome,
            ErrorMessage = message,
            Duration = TimeSpan.FromMilliseconds(1234),
        };

    [Fact]
    public void ASkipIsOneLineWithItsReason()
    {
        Assert.Equal("  Skipped Parity.Matches(name: \"Seed\"): No usable NVIDIA GPU here: no driver\n",
            TestResultLogger.Describe(Result(TestOutcome.Skipped, "No usable NVIDIA GPU here:\r\n  no driver\n")));
        Assert.Equal("  Skipped Parity.Matches(name: \"Seed\"): no reason given\n", TestResultLogger.Describe(Result(TestOutcome.Skipped)));
    }

    [Fact]
    public void AFailureCarriesItsMessageStackAndOutput()
    {
        var failed = Result(TestOutcome.Failed, "Assert.Equal() Failure\nExpected: 1\nActual:   2");
        failed.ErrorStackTrace = "at Parity.Matches() in Parity.cs:line 9";
        failed.Messages.Add(new TestResultMessage(TestResultMessage.StandardOutCategory, "step 1 loss 0.5\n"));
        Assert.Equal(
            "  Failed Parity.Matches(name: \"Seed\") [1,234 ms]\n" +
            "  Error Message:\n   Assert.Equal() Failure\n   Expected: 1\n   Actual:   2\n" +
            "  Stack Trace:\n   at Parity.Matches() in Parity.cs:line 9\n" +
            "  Standard Output Messages:\n   step 1 loss 0.5\n",
            TestResultLogger.Describe(failed));
        Assert.Equal("", TestResultLogger.Describe(Result(TestOutcome.Passed)));
    }
}
