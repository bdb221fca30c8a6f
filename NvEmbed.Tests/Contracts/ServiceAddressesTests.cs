using Microsoft.Extensions.Configuration;
using NvEmbed.Contracts.Clients;

namespace NvEmbed.Tests.Contracts;

public class ServiceAddressesTests
{
    [Fact]
    public void FromConfiguration_EnvironmentStyleKeys_AddressesInIndexOrderUpToFirstGap()
    {
        // Arrange: the keys environment variables services__inference__grpc__N become.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:inference:grpc:1"] = "http://127.0.0.1:5002",
            ["services:inference:grpc:0"] = "http://127.0.0.1:5001",
            ["services:inference:grpc:3"] = "http://127.0.0.1:5004",
            ["services:inference:http:0"] = "http://127.0.0.1:6001",
        }).Build();

        // Act
        var addresses = ServiceAddresses.FromConfiguration(configuration, "inference", "grpc");
        var none = ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc");

        // Assert
        Assert.Equal([new Uri("http://127.0.0.1:5001"), new Uri("http://127.0.0.1:5002")], addresses);
        Assert.Empty(none);
    }

    [Fact]
    public void FromConfiguration_EnvironmentVariables_DoubleUnderscoreKeysRead()
    {
        // Arrange: a prefix unique to this test keeps it apart from the process's real variables.
        const string prefix = "NVEMBED_TEST_SERVICE_ADDRESSES_";
        Environment.SetEnvironmentVariable(prefix + "services__tokenizer__grpc__0", "http://127.0.0.1:7001");
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();

            // Act
            var addresses = ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc");

            // Assert
            Assert.Equal([new Uri("http://127.0.0.1:7001")], addresses);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "services__tokenizer__grpc__0", null);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:5001")]
    [InlineData("tcp://127.0.0.1:5001")]
    [InlineData("not a uri")]
    public void FromConfiguration_InvalidAddress_ClearError(string value)
    {
        // Arrange
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:tokenizer:grpc:0"] = value,
        }).Build();

        // Act
        var error = Assert.Throws<InvalidOperationException>(() => ServiceAddresses.FromConfiguration(configuration, "tokenizer", "grpc"));

        // Assert
        Assert.Contains("services__tokenizer__grpc__0", error.Message, StringComparison.Ordinal);
    }
}
