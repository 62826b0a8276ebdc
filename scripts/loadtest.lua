-- wrk script for scripts/loadtest.sh: requests cycle through the paths listed in a file (one per line), and
-- each connection waits between requests so that all connections together send about RATE requests/s
-- (wrk2-style pacing with plain wrk's delay() hook).
-- Usage: wrk -t2 -c20 -d60s --latency -s scripts/loadtest.lua URL -- PATHS_FILE RATE CONNECTIONS
local paths, rate, connections, counter = {}, 0, 1, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  rate = tonumber(args[2] or "0")
  connections = tonumber(args[3] or "1")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
  counter = math.random(#paths)
end

function delay()
  if rate <= 0 then return 0 end
  -- per-connection interval, jittered so the connections do not fire in lockstep
  local interval = connections * 1000 / rate
  return interval * (0.5 + math.random())
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
