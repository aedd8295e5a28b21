-- benchmarks/wrk/post-order.lua: POST /api/order for a random seeded customer with 1 to 5 random items.
local max_customer = tonumber(os.getenv("MAX_CUSTOMER_ID") or "10000")

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init()
  math.randomseed(seed)
end

function request()
  local items = {}
  for i = 1, math.random(1, 5) do
    items[i] = string.format('{"product_id":%d,"quantity":%d,"unit_price":%d.%02d}',
      math.random(1, 5000), math.random(1, 4), math.random(1, 200), math.random(0, 99))
  end
  local body = string.format('{"customer_id":%d,"items":[%s]}', math.random(1, max_customer), table.concat(items, ","))
  return wrk.format("POST", "/api/order", { ["Content-Type"] = "application/json" }, body)
end
