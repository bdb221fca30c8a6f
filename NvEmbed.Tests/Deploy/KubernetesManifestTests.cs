using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NvEmbed.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace NvEmbed.Tests.Deploy;

/// <summary>
/// deploy/kubernetes/nvembed.yaml against what it deploys: aspire-manifest.json (services, container ports, environment;
/// <c>ManifestTests</c> keeps that file equal to what the AppHost publishes) and deploy/containers (the images' targets,
/// ports and health checks). No cluster runs here, so this is what keeps the manifests honest.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly string[] s_services = ["tokenizer", "inference", "api", "gateway"];
    private static readonly Lazy<List<JsonObject>> s_documents = new(LoadKubernetes);
    private static readonly Lazy<JsonObject> s_aspire = new(() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "aspire-manifest.json")))!["resources"]!.AsObject());

    [Fact]
    public void Deployments_EveryAspireService_SamePortsAndEnvironment()
    {
        foreach (var service in s_services)
        {
            var resource = s_aspire.Value[service]!.AsObject();
            var container = MainContainer(service);

            // Every binding is a named container port.
            foreach (var (binding, value) in resource["bindings"]!.AsObject())
            {
                var port = (string)value!["targetPort"]!.AsValue().ToString();
                Assert.Contains(container["ports"]!.AsArray(), p => (string?)p!["name"] == binding && (string?)p["containerPort"] == port);
            }

            // Every variable of the manifest, with its value; addresses of other services point at their Service.
            var environment = Environment(container);
            foreach (var (name, value) in resource["env"]!.AsObject())
            {
                var expected = (string)value!;
                Assert.True(environment.TryGetValue(name, out var actual), $"{service}: {name} is not set");
                var reference = ReferenceRegex().Match(expected);
                if (expected == "{model-dir.value}")
                {
                    Assert.StartsWith("/opt/nim/.cache/", actual, StringComparison.Ordinal); // in the cache volume
                }
                else if (reference.Success && reference.Groups["what"].Value == "url")
                {
                    var (target, binding) = (reference.Groups["resource"].Value, reference.Groups["binding"].Value);
                    var port = s_aspire.Value[target]!["bindings"]![binding]!["targetPort"]!.ToString();
                    Assert.Matches($"^(http://|dns:///)nvembed-{target}:{port}$", actual);
                    var serviceObject = Single("Service", $"nvembed-{target}");
                    Assert.Contains(serviceObject["spec"]!["ports"]!.AsArray(), p => (string?)p!["port"] == port && (string?)p["targetPort"] == binding);
                }
                else
                {
                    var resolved = ReferenceRegex().Replace(expected, m =>
                        s_aspire.Value[m.Groups["resource"].Value]!["bindings"]![m.Groups["binding"].Value]!["targetPort"]!.ToString());
                    Assert.True(resolved == actual, $"{service}: {name} is '{actual}', the manifest says '{resolved}'");
                }
            }
        }
    }

    [Fact]
    public void Images_AreTargetsOfDeployContainers_WithTheirPortsAndHealthChecks()
    {
        var containerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "containers", "Containerfile"));
        var cudaContainerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "containers", "cuda.Containerfile"));
        foreach (var service in s_services)
        {
            var pod = Single("Deployment", $"nvembed-{service}")["spec"]!["template"]!["spec"]!;
            var containers = pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []).Select(c => c!.AsObject());
            foreach (var container in containers)
            {
                // nvembed-<target>[-cuda]:<tag>, the names build-images.sh gives (after its --prefix).
                var image = ImageRegex().Match((string)container["image"]!);
                Assert.True(image.Success, $"{service}: image {container["image"]} is not one build-images.sh makes");
                Assert.Equal(service, image.Groups["target"].Value);
                var recipe = image.Groups["cuda"].Success ? cudaContainerfile : Stage(containerfile, service);
                if (container["ports"] is null)
                {
                    continue; // an init container
                }

                // The image's health check is the readiness probe, on a port the image exposes.
                var readiness = container["readinessProbe"]!["httpGet"]!;
                Assert.Contains("HEALTHCHECK", recipe, StringComparison.Ordinal);
                var healthPath = HealthPathRegex().Match(recipe[recipe.IndexOf("HEALTHCHECK", StringComparison.Ordinal)..]).Value;
                Assert.Equal(healthPath, (string?)readiness["path"]);
                foreach (var port in container["ports"]!.AsArray())
                {
                    Assert.Contains((string)port!["containerPort"]!, Exposed(containerfile, cudaContainerfile, service, image.Groups["cuda"].Success));
                }
            }
        }
    }

    [Fact]
    public void Probes_EveryContainer_ReadyAndLiveOnItsOwnDeclaredPort()
    {
        foreach (var service in s_services)
        {
            var container = MainContainer(service);
            var ports = container["ports"]!.AsArray().Select(p => (string?)p!["name"]).ToList();
            foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
            {
                var get = container[probe]?["httpGet"];
                Assert.True(get is not null, $"{service} has no {probe}");
                Assert.Contains((string?)get["port"], ports);
                Assert.Matches("^/(v1|gateway)?/?health/(ready|live)$", (string?)get["path"]);
            }

            Assert.EndsWith("/live", (string?)container["livenessProbe"]!["httpGet"]!["path"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Workers_HeadlessServiceDnsAddressAndOneGpuEach()
    {
        Assert.Equal("None", (string?)Single("Service", "nvembed-inference")["spec"]!["clusterIP"]);
        Assert.StartsWith("dns:///nvembed-inference:", Environment(MainContainer("api"))["services__inference__grpc__0"], StringComparison.Ordinal);
        var worker = MainContainer("inference");
        Assert.EndsWith("-cuda", ImageRegex().Match((string)worker["image"]!).Groups["cuda"].Value, StringComparison.Ordinal);
        Assert.Equal("1", (string?)worker["resources"]!["limits"]!["nvidia.com/gpu"]);
        foreach (var service in s_services.Where(s => s != "inference"))
        {
            Assert.Null(MainContainer(service)["resources"]?["limits"]?["nvidia.com/gpu"]);
        }
    }

    [Fact]
    public void Scaling_HpaForApiAndTokenizer_DisruptionBudgetForEveryService()
    {
        foreach (var service in new[] { "api", "tokenizer" })
        {
            var target = Single("HorizontalPodAutoscaler", $"nvembed-{service}")["spec"]!["scaleTargetRef"]!;
            Assert.Equal(("Deployment", $"nvembed-{service}"), ((string?)target["kind"], (string?)target["name"]));
        }

        foreach (var service in s_services)
        {
            var labels = PodLabels(service);
            Assert.Single(Documents("PodDisruptionBudget"), b => Selects(b["spec"]!["selector"]!, labels));
        }
    }

    [Fact]
    public void NetworkPolicy_OnlyTheGatewayIsReachableFromOutsideTheNamespace()
    {
        var policies = Documents("NetworkPolicy").ToList();
        foreach (var service in s_services)
        {
            var selecting = policies.Where(p => Selects(p["spec"]!["podSelector"]!, PodLabels(service))).ToList();
            Assert.True(selecting.Count > 0, $"no NetworkPolicy selects {service}'s pods: all traffic would be admitted");
            var rules = selecting.SelectMany(p => p["spec"]!["ingress"]?.AsArray() ?? []).Select(r => r!).ToList();
            var fromOutside = rules.Any(r => r["from"] is null
                || r["from"]!.AsArray().Any(f => f!["ipBlock"] is not null || f["namespaceSelector"] is not null));
            Assert.True(fromOutside == (service == "gateway"), $"{service}: reachable from outside the namespace = {fromOutside}");
        }

        foreach (var exposed in Documents("Service").Where(s => (string?)s["spec"]!["type"] is "LoadBalancer" or "NodePort"))
        {
            Assert.True(Selects(new JsonObject { ["matchLabels"] = exposed["spec"]!["selector"]!.DeepClone() }, PodLabels("gateway")));
            Assert.Equal(["8000", "8001", "8002"], exposed["spec"]!["ports"]!.AsArray().Select(p => (string)p!["port"]!));
        }
    }

    private static JsonObject MainContainer(string service) =>
        Single("Deployment", $"nvembed-{service}")["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!.AsObject();

    private static JsonObject PodLabels(string service) =>
        Single("Deployment", $"nvembed-{service}")["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

    private static IEnumerable<JsonObject> Documents(string kind) => s_documents.Value.Where(d => (string?)d["kind"] == kind);

    private static JsonObject Single(string kind, string name) => Assert.Single(Documents(kind), d => (string?)d["metadata"]!["name"] == name);

    // The container's environment: its ConfigMaps' data, then its own env (which wins).
    private static Dictionary<string, string> Environment(JsonObject container)
    {
        var environment = new Dictionary<string, string>();
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            var data = Single("ConfigMap", (string)source!["configMapRef"]!["name"]!)["data"]!.AsObject();
            foreach (var (name, value) in data)
            {
                environment[name] = (string)value!;
            }
        }

        foreach (var variable in container["env"]?.AsArray() ?? [])
        {
            environment[(string)variable!["name"]!] = (string)variable["value"]!;
        }

        return environment;
    }

    // matchLabels and `In` expressions, what these manifests use.
    private static bool Selects(JsonNode selector, JsonObject labels)
    {
        var matchLabels = selector["matchLabels"]?.AsObject() ?? [];
        var expressions = selector["matchExpressions"]?.AsArray() ?? [];
        return matchLabels.All(l => (string?)labels[l.Key] == (string?)l.Value)
            && expressions.All(e => (string?)e!["operator"] == "In"
                && e["values"]!.AsArray().Any(v => (string?)v == (string?)labels[(string)e["key"]!]));
    }

    // The Containerfile's stage `FROM ... AS <name>`, up to the next FROM.
    private static string Stage(string containerfile, string name)
    {
        var start = containerfile.IndexOf($" AS {name}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"deploy/containers/Containerfile has no target {name}");
        var end = containerfile.IndexOf("\nFROM ", start, StringComparison.Ordinal);
        return end < 0 ? containerfile[start..] : containerfile[start..end];
    }

    // Ports an image exposes: its stage's EXPOSE, else that of the stage it builds on (the internal services' `internal`).
    private static string[] Exposed(string containerfile, string cudaContainerfile, string service, bool cuda)
    {
        var recipe = cuda ? cudaContainerfile : Stage(containerfile, service);
        if (!cuda && !recipe.Contains("EXPOSE", StringComparison.Ordinal))
        {
            var from = Regex.Match(containerfile, $@"FROM (?<base>\S+) AS {service}\n");
            recipe = Stage(containerfile, from.Groups["base"].Value);
        }

        return [.. ExposeRegex().Match(recipe).Groups["ports"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    // Every document of the multi-document YAML, as JSON (scalars as strings).
    private static List<JsonObject> LoadKubernetes()
    {
        var deserializer = new DeserializerBuilder().Build();
        var toJson = new SerializerBuilder().JsonCompatible().Build();
        var parser = new Parser(new StringReader(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "kubernetes", "nvembed.yaml"))));
        parser.Consume<StreamStart>();
        var documents = new List<JsonObject>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var document = deserializer.Deserialize<object>(parser);
            documents.Add(JsonNode.Parse(toJson.Serialize(document))!.AsObject());
        }

        return documents;
    }

    [GeneratedRegex(@"\{(?<resource>[\w-]+)\.bindings\.(?<binding>\w+)\.(?<what>targetPort|url)\}")]
    private static partial Regex ReferenceRegex();

    [GeneratedRegex(@"(^|/)nvembed-(?<target>[a-z]+?)(?<cuda>-cuda)?:[\w.-]+$")]
    private static partial Regex ImageRegex();

    [GeneratedRegex(@"/[\w/]*health/(ready|live)")]
    private static partial Regex HealthPathRegex();

    [GeneratedRegex(@"EXPOSE (?<ports>[\d ]+)")]
    private static partial Regex ExposeRegex();
}
