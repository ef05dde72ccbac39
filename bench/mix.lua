-- wrk script: the realistic request mix of benchmark (b).
--
-- Even requests cycle through a fixed list of list queries (customer pages 1-20, flags,
-- name substrings, invoice pages, /api/customers/base, prefixed and unprefixed keys).
-- Odd requests carry a date drawn at random for that request (modified_after on customers,
-- invoice_date_before on invoices), so no cache of whole answers can stand in for the
-- request path. Dates fall between MIX_FROM and MIX_TO (Unix seconds; bench/run.py sets
-- them to the five years before the dataset's reference date).
--
-- done() prints one line "MIX_RESULT {json}" that bench/run.py parses.

local fixed = {}
for page = 1, 20 do
  fixed[#fixed + 1] = "/api/customers?page=" .. page
end
for page = 1, 5 do
  fixed[#fixed + 1] = "/api/customers?is_customer=1&page=" .. page
end
fixed[#fixed + 1] = "/api/customers?filter.is_customer=0&filter.page=1"
fixed[#fixed + 1] = "/api/customers?is_supplier=1&page_size=5"
for _, name in ipairs({ "oy", "ky", "ab", "ma", "ne", "ri", "Oy", "AB" }) do
  fixed[#fixed + 1] = "/api/customers?name=" .. name
  fixed[#fixed + 1] = "/api/customers?filter.name=" .. name .. "&filter.is_customer=1"
end
for page = 1, 20 do
  fixed[#fixed + 1] = "/api/invoices?page=" .. page
end
for page = 1, 10 do
  fixed[#fixed + 1] = "/api/customers/base?page=" .. page
end
fixed[#fixed + 1] = "/api/customers/base?is_supplier=1"
fixed[#fixed + 1] = "/api/invoices?page=2&page_size=10"

local date_from = tonumber(os.getenv("MIX_FROM") or "") or 1593561600 -- 2020-07-01
local date_to = tonumber(os.getenv("MIX_TO") or "") or 1751328000 -- 2025-07-01

local counter = 0
local next_fixed = 1

function init(args)
  math.randomseed(20250701)
end

local function random_moment()
  return math.random(date_from, date_to)
end

function request()
  counter = counter + 1
  local path
  if counter % 2 == 0 then
    path = fixed[next_fixed]
    next_fixed = next_fixed % #fixed + 1
  elseif math.random(2) == 1 then
    path = "/api/customers?modified_after="
      .. os.date("!%Y-%m-%dT%H:%M:%S", random_moment())
      .. "&page=" .. math.random(3)
  else
    path = "/api/invoices?invoice_date_before="
      .. os.date("!%Y-%m-%d", random_moment())
      .. "&page=" .. math.random(3)
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  io.write(string.format(
    'MIX_RESULT {"requests":%d,"bytes":%d,"duration_us":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.bytes, summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
