-- benchmarks/wrk/get-order.lua: GET /api/order/{id} over random seeded ids (1..100000).
-- Seeded per thread so runs are comparable; ids outside the seed would measure 404s instead.
local max_id = tonumber(os.getenv("MAX_ORDER_ID") or "100000")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init()
  math.randomseed(seed)
end

function request()
  return wrk.format("GET", "/api/order/" .. math.random(1, max_id))
end
