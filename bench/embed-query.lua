-- wrk script: POST short NIM queries to /v1/embeddings, each a different text (so no cache helps),
-- and count non-200 answers as errors.
-- usage: wrk -t2 -c32 -d20s -s bench/embed-query.lua http://localhost:8000
local counter = 0
local errors = 0

request = function()
  counter = counter + 1
  local body = string.format(
    '{"input": ["what is the capital of country number %d and its population in %d?"], "model": "nvidia/llama-3.2-nv-embedqa-1b-v2", "input_type": "query", "encoding_format": "base64"}',
    counter, 1900 + counter % 120)
  return wrk.format("POST", "/v1/embeddings", { ["Content-Type"] = "application/json" }, body)
end

response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, non-2xx/3xx %d, socket errors %d\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
