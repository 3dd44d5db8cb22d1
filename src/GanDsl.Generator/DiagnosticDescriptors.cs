using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GanDsl.Generator
{
    /// <summary>Every diagnostic the generator reports, in one place.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "GanDsl";

        public static readonly DiagnosticDescriptor NotPartial = Error(
            "GAN0001", "Network class must be partial",
            "Class '{0}' declares network layers but is not partial; add the 'partial' modifier so GanDsl can generate its forward and backward passes");

        public static readonly DiagnosticDescriptor MissingInput = Error(
            "GAN0002", "Network has no Input",
            "Network '{0}' has no [Input(features)]; put one before its first layer");

        public static readonly DiagnosticDescriptor InputNotFirst = Error(
            "GAN0003", "Input must be the first layer",
            "[Input] must be the first layer of network '{0}', but {1} comes before it");

        public static readonly DiagnosticDescriptor ActivationWithoutLayer = Error(
            "GAN0004", "Activation has no layer before it",
            "{0} in network '{1}' has no layer before it to apply to; put it right after a Dense, Conv2D, ConvTranspose2D, BatchNorm or InstanceNorm layer{2}");

        public static readonly DiagnosticDescriptor NonPositiveSize = Error(
            "GAN0005", "Layer size must be positive",
            "{0} in network '{1}' has {2} = {3}; it must be greater than zero");

        public static readonly DiagnosticDescriptor SplitDeclarations = Error(
            "GAN0006", "Layers split over several partial declarations",
            "Network '{0}' declares layers on more than one partial declaration; keep all layer attributes on one declaration so their order is defined");

        public static readonly DiagnosticDescriptor NestedClass = Error(
            "GAN0007", "Nested network classes are not supported",
            "Network '{0}' is nested inside '{1}'; declare it at namespace level");

        public static readonly DiagnosticDescriptor GenericClass = Error(
            "GAN0008", "Generic network classes are not supported",
            "Network '{0}' is generic; networks have fixed shapes, so remove the type parameters");

        public static readonly DiagnosticDescriptor InvalidSlope = Error(
            "GAN0009", "Invalid LeakyRelu slope",
            "LeakyRelu in network '{0}' has slope {1}; it must be a finite number of 0 or more");

        public static readonly DiagnosticDescriptor NoLayers = Error(
            "GAN0010", "Network has no layers",
            "Network '{0}' has an Input but no layer with parameters; add a Dense or convolution layer");

        public static readonly DiagnosticDescriptor HasBaseClass = Error(
            "GAN0011", "Network class cannot declare a base class",
            "Network '{0}' derives from '{1}'; generated networks derive from GanDsl.Network, so remove the base class");

        public static readonly DiagnosticDescriptor StaticClass = Error(
            "GAN0012", "Network class cannot be static",
            "Network '{0}' is static; remove the 'static' modifier");

        public static readonly DiagnosticDescriptor UnsupportedLayer = Error(
            "GAN0013", "Layer not supported by this generator",
            "Layer '{0}' on network '{1}' is not supported by this version of the GanDsl generator");

        public static readonly DiagnosticDescriptor DenseNeedsVector = Error(
            "GAN0014", "Dense layer after an image",
            "{0} in network '{1}' follows an image of shape {2}; put [Flatten] before it");

        public static readonly DiagnosticDescriptor ReshapeMismatch = Error(
            "GAN0015", "Reshape sizes disagree",
            "{0} in network '{1}' holds {2} values, but the tensor before it, {3}, has {4}");

        public static readonly DiagnosticDescriptor TransposedCannotReach = Error(
            "GAN0016", "Transposed convolution cannot reach the stated size",
            "{0} in network '{1}' cannot reach an output of {2}x{2} from {3}x{3}; with kernel {4} and stride {5} it can reach {6} to {7}");

        public static readonly DiagnosticDescriptor ConvolutionNeedsImage = Error(
            "GAN0017", "Convolution needs an image",
            "{0} in network '{1}' needs an image (channels, height, width) but gets a vector of {2}; use [Reshape] or an image [Input]");

        public static readonly DiagnosticDescriptor ConditionNotAfterInput = Error(
            "GAN0018", "Condition must follow the Input",
            "[Condition] must come right after [Input] in network '{0}'");

        public static readonly DiagnosticDescriptor InvalidRate = Error(
            "GAN0019", "Invalid dropout rate",
            "Dropout in network '{0}' has rate {1}; it must be at least 0 and below 1");

        public static readonly DiagnosticDescriptor NotTwiceDifferentiable = Error(
            "GAN0020", "Layer cannot be differentiated twice",
            "{0} in network '{1}' cannot be differentiated twice, so [GradientPenalty] cannot be honoured; a WGAN-GP critic may use Dense, Conv2D, ConvTranspose2D, Relu, LeakyRelu, Dropout, Reshape, Flatten and Condition");

        public static readonly DiagnosticDescriptor EmptyOutput = Error(
            "GAN0021", "Convolution output would be empty",
            "{0} in network '{1}' has no output pixels for an input of {2}; use a smaller kernel or padding: Padding.Same");

        public static readonly DiagnosticDescriptor InvalidBatchNorm = Error(
            "GAN0022", "Invalid normalisation settings",
            "{3} in network '{0}' has {1}epsilon {2}; a momentum must be in [0, 1] and epsilon a finite number above 0");

        public static readonly DiagnosticDescriptor UnknownInitialization = Error(
            "GAN0023", "Unknown initialization scheme",
            "[Initialization] on network '{0}' names {1}, which is not a WeightInit scheme (PyTorch, Keras or Dcgan)");

        public static readonly DiagnosticDescriptor NotAClass = Error(
            "GAN0024", "Network must be a plain class",
            "Network '{0}' is declared as a {1}; declare it as a partial class (records compare by value, and a network is a handle to device memory)");

        public static readonly DiagnosticDescriptor PrimaryConstructor = Error(
            "GAN0025", "Network class cannot have a primary constructor",
            "Network '{0}' has a primary constructor; the generated constructor (Backend backend, ulong seed) must be the network's own, so remove the parameter list and use members instead");

        public static readonly DiagnosticDescriptor UnknownEnumValue = Error(
            "GAN0026", "Argument is not a value of its enum",
            "{0} in network '{1}' gives {2} = {3}, which is not a {2} value; use {4}");

        public static readonly DiagnosticDescriptor SizeTooLarge = Error(
            "GAN0027", "Size over the limit",
            "{0} in network '{1}': {2} is {3}, over GanDsl's limit of {4}{5}");

        public static readonly DiagnosticDescriptor TooManyLayers = Error(
            "GAN0028", "Too many layers",
            "Network '{0}' declares {1} layers, over GanDsl's limit of {2} layer attributes a network; split it into networks that feed each other");

        public static readonly DiagnosticDescriptor MemberConflict = Error(
            "GAN0029", "Member conflicts with the generated network",
            "Network '{0}' declares '{1}', which {2}; rename it");

        public static readonly DiagnosticDescriptor InvalidAlpha = Error(
            "GAN0030", "Invalid Elu alpha",
            "Elu in network '{0}' has alpha {1}; it must be a finite number of 0 or more");

        public static readonly DiagnosticDescriptor InvalidHeadName = Error(
            "GAN0031", "Invalid head or saved tensor name",
            "A head or saved tensor of network '{0}' is named {1}; a name is up to 64 letters, digits and underscores, starting with a letter or underscore");

        public static readonly DiagnosticDescriptor EmptyHead = Error(
            "GAN0032", "Head has no layers",
            "Head '{0}' of network '{1}' has no layer that computes; give it at least one (a Dense, a convolution, ...) before the next head or the end");

        public static readonly DiagnosticDescriptor DuplicateHead = Error(
            "GAN0033", "Two heads with one name",
            "Network '{0}' has two heads named '{1}'; give each head its own name");

        public static readonly DiagnosticDescriptor HeadBeforeTrunk = Error(
            "GAN0034", "Head before any trunk layer",
            "Head '{0}' of network '{1}' comes before any layer that computes; heads branch off a trunk, so put the shared layers first (a network of one chain needs no heads)");

        public static readonly DiagnosticDescriptor HeadsWithGradientPenalty = Error(
            "GAN0035", "Heads on a [GradientPenalty] network",
            "Network '{0}' has heads and [GradientPenalty]; the second-order pass supports one chain, so give the critic one output");

        public static readonly DiagnosticDescriptor UnknownSaved = Error(
            "GAN0036", "Skip names no saved tensor",
            "{0} in network '{1}' joins '{2}', which no [Save(\"{2}\")] above it names");

        public static readonly DiagnosticDescriptor SavedTwice = Error(
            "GAN0037", "Saved name taken or joined twice",
            "{0} in network '{1}': '{2}' {3}; give each saved tensor its own name and join it once");

        public static readonly DiagnosticDescriptor SkipShape = Error(
            "GAN0038", "Skip shapes do not fit",
            "{0} in network '{1}' joins '{2}' of shape {3} to a tensor of shape {4}; {5}");

        public static readonly DiagnosticDescriptor SkipNotHere = Error(
            "GAN0039", "Skip not supported here",
            "{0} in network '{1}': {2}");

        public static readonly DiagnosticDescriptor NotANetworkToShare = Error(
            "GAN0040", "Shared layers name no network",
            "{0} in network '{1}' names '{2}', {3}");

        public static readonly DiagnosticDescriptor SharedLayersDiffer = Error(
            "GAN0041", "Shared layers differ",
            "{0} in network '{1}': the layers shared with '{2}' must be the same layers, with the same settings and input shape, as a run of its own, but {3}");

        public static readonly DiagnosticDescriptor SharedLayersNotHere = Error(
            "GAN0042", "Layers cannot be shared here",
            "{0} in network '{1}': {2}");

        public static readonly DiagnosticDescriptor SharedLayersAmbiguous = Error(
            "GAN0043", "Shared layers match more than one run",
            "{0} in network '{1}': '{2}' declares these layers more than once, from its layers {3}; say which with Layer = {4} (the row number in its summary)");

        public static readonly DiagnosticDescriptor InternalError = Error(
            "GAN0099", "GanDsl generator failed",
            "The GanDsl generator failed on '{0}': {1}. Please report this with the network's declaration.");

        // Every descriptor above, by id (they are initialised first: static fields run in textual order).
        private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = Index(
            typeof(DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
                .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
                .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
                .ToArray());

        public static DiagnosticDescriptor ById(string id) => s_byId[id];

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        private static Dictionary<string, DiagnosticDescriptor> Index(params DiagnosticDescriptor[] descriptors)
        {
            var map = new Dictionary<string, DiagnosticDescriptor>();
            foreach (var d in descriptors)
            {
                map.Add(d.Id, d);
            }

            return map;
        }
    }
}
