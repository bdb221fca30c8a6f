using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NvEmbed.Tests.Api.Fakes;
using Xunit.Abstractions;

namespace NvEmbed.Tests.Api;

/// <summary>
/// Generated malformed requests (wrong types, huge numbers, deep nesting, invalid UTF-8, truncated bodies, wrong content
/// types, oversized fields, broken rules) against every POST route: each must get a 4xx JSON error, the service must stay
/// ready and correct, and nothing may be logged at Error level (the host fails the test on one).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int BodyLimit = 64 * 1024;
    private static readonly string[] s_routes = ["/v1/embeddings", "/embed", "/tokenize", "/decode"];

    /// <summary>Requests per run: NVEMBED_FUZZ_REQUESTS, default 10,000.</summary>
    private static int Count => int.TryParse(Environment.GetEnvironmentVariable("NVEMBED_FUZZ_REQUESTS"), out var n) && n > 0 ? n : 10_000;

    [Fact]
    public async Task Post_MalformedRequests_AllGet4xxJsonAndServiceStaysHealthy()
    {
        // Arrange
        await using var host = new ApiTestHost(new Dictionary<string, string?> { ["NIM_SERVER_HTTP_BODY_LIMIT_BYTES"] = BodyLimit.ToString() });
        using var client = host.Client();
        var generators = Generators();
        var failures = new List<string>();
        var statuses = new Dictionary<HttpStatusCode, int>();
        var next = -1;

        // Act: four concurrent senders, each request generated from its own seed so a failure can be replayed.
        async Task SendAsync()
        {
            for (var i = Interlocked.Increment(ref next); i < Count; i = Interlocked.Increment(ref next))
            {
                var random = new Random(i);
                var generator = generators[random.Next(generators.Length)];
                var (path, body, contentType) = generator.Make(random);
                using var content = new ByteArrayContent(body);
                if (contentType is not null)
                {
                    content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                }

                using var response = await client.PostAsync(path, content).WaitAsync(ApiTestHost.Timeout);
                var text = await response.Content.ReadAsStringAsync().WaitAsync(ApiTestHost.Timeout);
                lock (statuses)
                {
                    statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
                    if (!IsJsonError(response.StatusCode, text) && failures.Count < 20)
                    {
                        failures.Add($"seed {i} ({generator.Name}) {path}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 300)]}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => SendAsync()));
        var ready = await ApiCall.GetAsync(client, "/v1/health/ready");
        var valid = await ApiCall.PostAsync(client, "/v1/embeddings", """{"input":["still","works"],"input_type":"query"}""");

        output.WriteLine($"{Count} requests: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(int)s.Key} x{s.Value}")));

        // Assert
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(Count, statuses.Values.Sum());
        Assert.True(statuses.Count >= 4, "the generators should reach several error statuses: " + string.Join(", ", statuses));
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal(HttpStatusCode.OK, valid.Status);
        VectorAssert.Close(FakeModel.Vector(FakeModel.Tokenize("query: works"), 0), valid.Vectors()[1]);
    }

    private static bool IsJsonError(HttpStatusCode status, string body)
    {
        if ((int)status is < 400 or >= 500)
        {
            return false;
        }

        try
        {
            var root = JsonDocument.Parse(body).RootElement;
            return root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("error", out _) || root.TryGetProperty("detail", out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed record Generator(string Name, Func<Random, (string Path, byte[] Body, string? ContentType)> Make);

    private static (string, byte[], string?) Json(string path, JsonNode? node) => (path, Encoding.UTF8.GetBytes(node?.ToJsonString() ?? "null"), "application/json");

    /// <summary>A valid body for <paramref name="path"/>; the generators break it.</summary>
    private static JsonObject Valid(string path, Random random) => path switch
    {
        "/v1/embeddings" => new JsonObject { ["model"] = "m", ["input"] = new JsonArray("a", "b"), ["input_type"] = random.Next(2) == 0 ? "query" : "passage" },
        "/embed" or "/tokenize" => new JsonObject { ["inputs"] = new JsonArray("a", "b") },
        _ => new JsonObject { ["ids"] = new JsonArray(300, 301) },
    };

    private static readonly Dictionary<string, string[]> s_fields = new()
    {
        ["/v1/embeddings"] = ["input", "model", "input_type", "encoding_format", "truncate", "dimensions", "embedding_type", "modality", "user"],
        ["/embed"] = ["inputs", "truncate", "truncation_direction", "normalize", "dimensions", "prompt_name"],
        ["/tokenize"] = ["inputs", "add_special_tokens", "prompt_name"],
        ["/decode"] = ["ids", "skip_special_tokens"],
    };

    /// <summary>A value of the wrong type (or a bad value) for <paramref name="field"/>.</summary>
    private static JsonNode? WrongValue(string field, Random random)
    {
        JsonNode?[] common =
        [
            JsonValue.Create(random.Next(-1000, 1000) + 0.5), JsonValue.Create(true), new JsonObject { ["x"] = 1 },
            new JsonArray(new JsonObject()), JsonValue.Create(long.MaxValue), JsonValue.Create("not-a-valid-value-" + random.Next()),
        ];
        return field switch
        {
            "input" or "inputs" => random.Next(4) switch
            {
                0 => JsonValue.Create(random.Next()),
                1 => new JsonArray("ok", random.Next()),
                2 => new JsonArray("ok", null),
                _ => new JsonObject { ["text"] = "a" },
            },
            "ids" => random.Next(3) switch
            {
                0 => JsonValue.Create("300"),
                1 => new JsonArray(300, "x"),
                _ => new JsonArray(-5),
            },
            "dimensions" => random.Next(5) switch
            {
                0 => JsonValue.Create("512"),
                1 => JsonValue.Create(7),
                2 => JsonValue.Create(1.5),
                3 => JsonNode.Parse("1e400"),
                _ => JsonNode.Parse("-99999999999999999999999"),
            },
            "model" or "user" => random.Next(2) == 0 ? JsonValue.Create(42) : new JsonArray("m"),
            "normalize" or "truncate" or "add_special_tokens" or "skip_special_tokens" => random.Next(2) == 0 ? JsonValue.Create("yes") : JsonValue.Create(1),
            "encoding_format" => random.Next(2) == 0 ? null : common[random.Next(common.Length)],
            "modality" => random.Next(2) == 0 ? JsonValue.Create("image") : new JsonArray("text", "text", "text"),
            _ => common[random.Next(common.Length)],
        };
    }

    private static Generator[] Generators() =>
    [
        new("wrong type", random =>
        {
            var path = s_routes[random.Next(s_routes.Length)];
            var body = Valid(path, random);
            var fields = s_fields[path];
            var field = fields[random.Next(fields.Length)];
            // NOTE: NIM's truncate is a string literal, TEI's a boolean; both get a value invalid for either.
            body[field] = path == "/v1/embeddings" && field == "truncate" ? JsonValue.Create(random.Next(2) == 0 ? "MIDDLE" : "1") : WrongValue(field, random);
            return Json(path, body);
        }),
        new("unknown field", random =>
        {
            var path = s_routes[random.Next(s_routes.Length)];
            var body = Valid(path, random);
            body["extra_" + random.Next(1000)] = random.Next();
            return Json(path, body);
        }),
        new("missing required field", random =>
        {
            var path = s_routes[random.Next(s_routes.Length)];
            var body = Valid(path, random);
            body.Remove(s_fields[path][0]);
            return Json(path, body);
        }),
        new("root not an object", random =>
        {
            JsonNode?[] roots = [new JsonArray(1, 2), JsonValue.Create("text"), JsonValue.Create(3), null, JsonValue.Create(false)];
            return Json(s_routes[random.Next(s_routes.Length)], roots[random.Next(roots.Length)]);
        }),
        new("deep nesting", random =>
        {
            var path = s_routes[random.Next(s_routes.Length)];
            var depth = random.Next(2) == 0 ? random.Next(2, 60) : random.Next(65, 5000);
            var field = s_fields[path][0];
            var text = $"{{\"{field}\":{new string('[', depth)}\"x\"{new string(']', depth)}}}";
            return (path, Encoding.UTF8.GetBytes(text), "application/json");
        }),
        new("invalid UTF-8", random =>
        {
            var path = s_routes[random.Next(3)];
            var field = s_fields[path][0];
            byte[][] bad = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0x80]];
            var prefix = Encoding.UTF8.GetBytes(random.Next(2) == 0 ? $"{{\"{field}\":\"ab" : "{\"");
            var suffix = Encoding.UTF8.GetBytes(prefix.Length > 3 && prefix[2] != (byte)'"' ? "cd\",\"input_type\":\"query\"}" : "x\":1}");
            return (path, [.. prefix, .. bad[random.Next(bad.Length)], .. suffix], "application/json");
        }),
        new("truncated body", random =>
        {
            var path = s_routes[random.Next(s_routes.Length)];
            var bytes = Encoding.UTF8.GetBytes(Valid(path, random).ToJsonString());
            return (path, bytes[..random.Next(bytes.Length)], "application/json");
        }),
        new("wrong content type", random =>
        {
            string[] types = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "image/png"];
            var path = s_routes[random.Next(s_routes.Length)];
            return (path, Encoding.UTF8.GetBytes(Valid(path, random).ToJsonString()), types[random.Next(types.Length)]);
        }),
        new("oversized field", random =>
        {
            var path = s_routes[random.Next(3)];
            var body = Valid(path, random);
            body[s_fields[path][0]] = new string('x', BodyLimit + random.Next(1, 10_000));
            return Json(path, body);
        }),
        new("broken rule", random =>
        {
            var path = s_routes[random.Next(3)];
            var body = Valid(path, random);
            var field = s_fields[path][0];
            switch (random.Next(4))
            {
                case 0:
                    body[field] = new JsonArray();
                    break;
                case 1:
                    body[field] = new JsonArray("a", "");
                    break;
                case 2:
                    body[field] = new JsonArray([.. Enumerable.Range(0, 31 + random.Next(50)).Select(i => (JsonNode?)JsonValue.Create("t" + i))]);
                    break;
                default:
                    // Longer than the fake tokenizer's 64 tokens, truncation off.
                    body[field] = new string('y', 70 + random.Next(200));
                    break;
            }

            if (path == "/v1/embeddings" && random.Next(4) == 0)
            {
                body.Remove("input_type");
            }

            return Json(path, body);
        }),
        new("garbage bytes", random =>
        {
            var bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            return (s_routes[random.Next(s_routes.Length)], bytes, "application/json");
        }),
    ];
}
