-- wrk script for durable check-in ingestion (bench/uem/uem_bench.py writes UEM_DEVICES).
-- Each wrk thread owns a slice of the devices and cycles through it, so one device is never
-- in flight twice; every check-in flips the firewall, so every one changes the verdict and
-- writes a partner outbox row (the worst case for the write path).
local devices = dofile(os.getenv("UEM_DEVICES"))
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  nthreads = tonumber(os.getenv("UEM_THREADS") or "2")
  mine = {}
  for i = 1, #devices do
    if (i - 1) % nthreads == tid then mine[#mine + 1] = devices[i] end
  end
  cursor = 0
  seq = {}
  base = tonumber(os.getenv("UEM_SEQ_BASE") or "1")
end

function request()
  cursor = cursor % #mine + 1
  local d = mine[cursor]
  local s = (seq[d.id] or base) + 1
  seq[d.id] = s
  local firewall = (s % 2 == 0) and "true" or "false"
  local body = '{"sequence":' .. s .. ',"posture":{"operatingSystem":"Linux","osVersion":"6.1.0",' ..
               '"firewallEnabled":' .. firewall .. ',"storageEncrypted":true,"secureBootEnabled":true}}'
  return wrk.format("POST", "/uem/v1/devices/" .. d.id .. "/checkins",
                    {["Authorization"] = "Bearer " .. d.secret, ["Content-Type"] = "application/json"}, body)
end
