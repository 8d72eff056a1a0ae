-- wrk script: POST a What If request to the decision endpoint with an admin bearer token.
-- Environment: GATEHOUSE_TOKEN (access token), WHATIF_BODY (path of the request JSON).
local token = assert(os.getenv("GATEHOUSE_TOKEN"), "GATEHOUSE_TOKEN is not set")
local body_file = assert(os.getenv("WHATIF_BODY"), "WHATIF_BODY is not set")
local file = assert(io.open(body_file, "rb"))
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.path = "/v1.0/identity/conditionalAccess/evaluate"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
