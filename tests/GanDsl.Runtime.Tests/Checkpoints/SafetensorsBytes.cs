using System.Buffers.Binary;
using System.Text;

namespace GanDsl.Tests.Checkpoints;

/// <summary>Builds safetensors files byte by byte, independently of the writer under test.</summary>
internal static class SafetensorsBytes
{
    /// <summary>
    /// The 8-byte little-endian header size, the UTF-8 header (padded with spaces to a multiple of
    /// 8 bytes when <paramref name="pad"/>), then <paramref name="data"/>.
    /// </summary>
    public static byte[] Build(string header, byte[]? data = null, bool pad = true)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        if (pad)
        {
            json = [.. json, .. Enumerable.Repeat((byte)' ', (8 - json.Length % 8) % 8)];
        }

        return Raw((ulong)json.Length, json, data ?? []);
    }

    /// <summary>A size field, header bytes and data, taken as they are.</summary>
    public static byte[] Raw(ulong headerSize, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerSize);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>One header entry: <c>"name":{"dtype":..,"shape":[..],"data_offsets":[b,e]}</c>.</summary>
    public static string Entry(string name, string dtype, int[] shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    /// <summary>Little-endian IEEE 754 bytes of <paramref name="values"/>.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    /// <summary>Little-endian two's complement bytes of <paramref name="values"/>.</summary>
    public static byte[] Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }

        return bytes;
    }

    /// <summary>The bit patterns of <paramref name="values"/>, so NaN payloads and -0 compare exactly.</summary>
    public static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
