-- wrk script for bench/upstream_bench.py: POST the file $WRK_BODY (JSON), with `Authorization: Bearer
-- $WRK_AUTH` (and x-api-key, for the Anthropic surface) when WRK_AUTH is set.
local file = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. auth
  wrk.headers["x-api-key"] = auth
end
