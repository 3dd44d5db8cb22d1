using System;

namespace GanDsl.Generator.Model
{
    /// <summary>Layer kinds the generator understands (mirrors GanDsl.LayerKind).</summary>
    internal enum LayerKind
    {
        Input,
        Dense,
        Activation,
    }

    /// <summary>Activations (mirrors GanDsl.ActivationKind; the names are emitted).</summary>
    internal enum ActivationKind
    {
        None,
        Relu,
        LeakyRelu,
        Tanh,
        Sigmoid,
    }

    /// <summary>One validated layer: no symbols, no locations, so equal networks compare equal.</summary>
    /// <param name="Kind">What it is.</param>
    /// <param name="Size">Features for Input, units for Dense, 0 for activations.</param>
    /// <param name="Bias">Dense: whether it has a bias.</param>
    /// <param name="Activation">Activation layers: which.</param>
    /// <param name="Slope">LeakyRelu's slope.</param>
    internal sealed record LayerModel(LayerKind Kind, int Size, bool Bias, ActivationKind Activation, float Slope);

    /// <summary>A valid network, ready to plan and emit.</summary>
    internal sealed record NetworkModel(string? Namespace, string Name, EquatableArray<LayerModel> Layers)
    {
        public string FullName => Namespace is null ? Name : Namespace + "." + Name;

        public string HintName => FullName + ".g.cs";
    }

    /// <summary>What parsing one class gives: a model when it is valid, and diagnostics either way.</summary>
    internal sealed record ParseResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
}
