-- wrk script for scripts/loadtest.sh: requests cycle through the paths listed in a file (one per line) and,
-- wrk2-style, are paced to a constant total RATE (requests/s): each wrk thread hands out send slots at
-- THREADS/RATE-second intervals through the delay() hook, so a slow response does not lower the offered load
-- as long as connections are free. RATE 0 sends as fast as the server answers.
-- Usage: wrk -t2 -c20 -d60s --latency -s scripts/loadtest.lua URL -- PATHS_FILE RATE THREADS
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clk_id, timespec_t *tp);
]]
local ts = ffi.new("timespec_t")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local paths, interval, next_slot, counter = {}, 0, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  local rate, threads = tonumber(args[2] or "0"), tonumber(args[3] or "1")
  if rate > 0 then interval = threads * 1000 / rate end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16))
  counter = math.random(#paths)
  next_slot = now_ms() + math.random() * interval
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  local slot = math.max(now, next_slot)
  next_slot = slot + interval
  return slot - now
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
