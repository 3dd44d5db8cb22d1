using System.Globalization;
using System.Text;
using Microsoft.VisualStudio.TestPlatform.ObjectModel;
using Microsoft.VisualStudio.TestPlatform.ObjectModel.Client;

namespace GanDsl.TestLogger;

/// <summary>
/// Reports what a reader of <c>dotnet test</c> must see, once: every skipped test on one line with its reason (for
/// example, why there is no GPU), and every failed test with its message, stack trace and standard output. Passing
/// tests are counted by the console logger's summary.
/// </summary>
[FriendlyName("gandsl")]
[ExtensionUri("logger://GanDsl/TestResultLogger/v1")]
public sealed class TestResultLogger : ITestLogger
{
    private readonly Lock _console = new();

    /// <inheritdoc />
    public void Initialize(TestLoggerEvents events, string testRunDirectory)
    {
        ArgumentNullException.ThrowIfNull(events);
        events.TestResult += (_, e) => Report(e.Result);
    }

    /// <summary>The lines printed for <paramref name="result"/>: none for a pass.</summary>
    public static string Describe(TestResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string name = result.DisplayName ?? result.TestCase.DisplayName;
        switch (result.Outcome)
        {
            case TestOutcome.Skipped:
                string reason = string.IsNullOrWhiteSpace(result.ErrorMessage) ? "no reason given" : string.Join(" ", result.ErrorMessage.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                return $"  Skipped {name}: {reason}\n";
            case TestOutcome.Failed:
                var text = new StringBuilder();
                text.Append(CultureInfo.InvariantCulture, $"  Failed {name} [{result.Duration.TotalMilliseconds:N0} ms]\n");
                Section(text, "Error Message", result.ErrorMessage);
                Section(text, "Stack Trace", result.ErrorStackTrace);
                Section(text, "Standard Output Messages", string.Concat(result.Messages.Where(m => m.Category == TestResultMessage.StandardOutCategory).Select(m => m.Text)));
                return text.ToString();
            default:
                return "";
        }
    }

    private void Report(TestResult result)
    {
        string text = Describe(result);
        if (text.Length > 0)
        {
            lock (_console)
            {
                Console.Write(text);
            }
        }
    }

    private static void Section(StringBuilder text, string title, string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return;
        }

        text.Append(CultureInfo.InvariantCulture, $"  {title}:\n");
        foreach (string line in body.TrimEnd().Split('\n'))
        {
            text.Append("   ").Append(line.TrimEnd('\r')).Append('\n');
        }
    }
}
