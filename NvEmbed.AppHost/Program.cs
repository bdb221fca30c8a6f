Console.WriteLine("NvEmbed AppHost");
