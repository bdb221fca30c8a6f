using System.Globalization;
using Google.Protobuf;
using NvEmbed.InferenceWorker.Models.Onnx.Proto;

namespace NvEmbed.InferenceWorker.Models.Onnx;

/// <summary>
/// Assembles an ONNX graph node by node and writes initializers either inline or to an external data
/// file (needed past protobuf's 2 GiB message limit). Names of intermediate values are generated.
/// </summary>
public sealed class OnnxGraphWriter : IDisposable
{
    /// <summary>Alignment of tensors in the external data file: a page, so ONNX Runtime can map them.</summary>
    private const int ExternalAlignment = 4096;

    private readonly GraphProto _graph = new() { Name = "nvembed" };
    private readonly FileStream? _external;
    private readonly string? _externalName;
    private readonly Dictionary<string, string> _int64Constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);
    private GraphProto _target;
    private int _counter;

    /// <summary>Creates a writer; when <paramref name="externalDataPath"/> is set, initializers go to that file.</summary>
    public OnnxGraphWriter(string? externalDataPath)
    {
        if (externalDataPath is not null)
        {
            _external = new FileStream(externalDataPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            _externalName = Path.GetFileName(externalDataPath);
        }

        _target = _graph;
    }

    /// <summary>Bytes of initializer data written so far.</summary>
    public long InitializerBytes { get; private set; }

    /// <summary>The graph under construction.</summary>
    public GraphProto Graph => _graph;

    /// <summary>Declares a graph input.</summary>
    public void AddInput(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Input.Add(ValueInfo(name, type, dims));

    /// <summary>Declares a graph output.</summary>
    public void AddOutput(string name, TensorProto.Types.DataType type, params object[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, string? output = null, string domain = "", params AttributeProto[] attributes) =>
        NodeMulti(opType, inputs, [output ?? NewName(opType)], domain, attributes)[0];

    /// <summary>Adds a node with several outputs (empty names for optional outputs left out).</summary>
    public IReadOnlyList<string> NodeMulti(string opType, IEnumerable<string> inputs, IReadOnlyList<string> outputs, string domain = "", params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NewName(opType + "_node"), Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _target.Node.Add(node);
        return outputs;
    }

    /// <summary>
    /// A subgraph for a control-flow node's attribute (e.g. If's <c>then_branch</c>): the nodes <paramref name="build"/>
    /// adds go into it, and the value it returns is its one output, of element type <paramref name="outputType"/>.
    /// Its nodes may read any value of the enclosing graph; initializers and constants made meanwhile stay in the main
    /// graph, so both branches of an If share them.
    /// </summary>
    public AttributeProto Subgraph(string attributeName, TensorProto.Types.DataType outputType, Func<string> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var outer = _target;
        var subgraph = new GraphProto { Name = NewName(attributeName) };
        _target = subgraph;
        try
        {
            var output = build();
            subgraph.Output.Add(new ValueInfoProto
            {
                Name = output,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)outputType } },
            });
        }
        finally
        {
            _target = outer;
        }

        return new AttributeProto { Name = attributeName, Type = AttributeProto.Types.AttributeType.Graph, G = subgraph };
    }

    /// <summary>A fresh value name with <paramref name="prefix"/>.</summary>
    public string NewName(string prefix) => string.Create(CultureInfo.InvariantCulture, $"{prefix}_{_counter++}");

    /// <summary>Adds an initializer from raw little-endian bytes.</summary>
    public string AddInitializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<long> dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims.ToArray());
        if (_external is null)
        {
            tensor.RawData = ByteString.CopyFrom(raw);
        }
        else
        {
            var offset = BeginExternal();
            _external.Write(raw);
            SetExternal(tensor, offset, raw.Length);
        }

        InitializerBytes += raw.Length;
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>
    /// Adds an initializer whose bytes are produced in pieces by <paramref name="write"/> (which calls
    /// the given sink with consecutive chunks), so a large tensor is never held whole.
    /// </summary>
    public string AddInitializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<long> dims, long byteLength, Action<OnnxChunkSink> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims.ToArray());
        if (_external is null)
        {
            var buffer = new byte[byteLength];
            var position = 0;
            write(chunk =>
            {
                chunk.CopyTo(buffer.AsSpan(position));
                position += chunk.Length;
            });
            Check(position);
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(buffer);
        }
        else
        {
            var offset = BeginExternal();
            var stream = _external;
            write(chunk => stream.Write(chunk));
            Check(_external.Position - offset);
            SetExternal(tensor, offset, byteLength);
        }

        InitializerBytes += byteLength;
        _graph.Initializer.Add(tensor);
        return name;

        void Check(long written)
        {
            if (written != byteLength)
            {
                throw new InvalidOperationException($"Initializer '{name}' got {written} bytes, not {byteLength}. This is a bug.");
            }
        }
    }

    /// <summary>A float32 initializer.</summary>
    public string AddFloat(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) =>
        AddInitializer(name, TensorProto.Types.DataType.Float, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(float value) => AddFloat(NewName("scalar"), [], [value]);

    /// <summary>An int64 1-D constant (shared when the same values are asked for again).</summary>
    public string Int64s(params long[] values)
    {
        var key = string.Join(",", values);
        if (!_int64Constants.TryGetValue(key, out var name))
        {
            name = AddInitializerInline(NewName("i64"), values);
            _int64Constants[key] = name;
        }

        return name;
    }

    /// <summary>The value <paramref name="create"/> adds the first time <paramref name="key"/> is asked for; the same value after that.</summary>
    public string Shared(string key, Func<string> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (!_shared.TryGetValue(key, out var name))
        {
            // A value first made inside a subgraph would not be visible to the main graph's later nodes.
            if (_target != _graph)
            {
                throw new InvalidOperationException($"The shared value '{key}' must be made in the main graph before a subgraph uses it.");
            }

            name = create();
            _shared[key] = name;
        }

        return name;
    }

    /// <summary>An attribute of type INT.</summary>
    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An attribute of type FLOAT.</summary>
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An attribute of type INTS.</summary>
    public static AttributeProto Attr(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>Wraps the graph into a model (IR version 10) importing ai.onnx <paramref name="opset"/> (and com.microsoft when used) and writes it to <paramref name="path"/>.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata, int opset, bool usesMicrosoftDomain)
    {
        _external?.Flush();
        var model = new ModelProto
        {
            IrVersion = 10,
            ProducerName = "NvEmbed",
            ProducerVersion = typeof(OnnxGraphWriter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = opset });
        if (usesMicrosoftDomain)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        }

        foreach (var (key, value) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        using var file = File.Create(path);
        model.WriteTo(file);
    }

    /// <summary>Closes the external data file.</summary>
    public void Dispose() => _external?.Dispose();

    private string AddInitializerInline(string name, long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private long BeginExternal()
    {
        var pad = (ExternalAlignment - (_external!.Position % ExternalAlignment)) % ExternalAlignment;
        if (pad > 0)
        {
            Span<byte> zeros = stackalloc byte[(int)pad];
            zeros.Clear();
            _external.Write(zeros);
        }

        return _external.Position;
    }

    private void SetExternal(TensorProto tensor, long offset, long length)
    {
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = _externalName });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                long value => new TensorShapeProto.Types.Dimension { DimValue = value },
                _ => throw new ArgumentException($"Dimension {d} must be a name or a number.", nameof(dims)),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
