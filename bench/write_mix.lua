-- wrk script: the write mix of bench/writes.py (issue 15's invoice writes).
--
-- A web shop's traffic against the default tenant: one request in four creates an invoice
-- with two rows (POST /api/invoices), two add a row and one a payment (POST
-- /api/invoices/{id}/row, /payment) to the invoice created last (its id read from the
-- answers' "invoice_id"), or to a seeded invoice until one was created. Every answer must be
-- a 200: wrk counts any other status as an error.
--
-- done() prints one line "MIX_RESULT {json}" that bench/writes.py parses.

local counter = 0
local target = nil
local seeded = tonumber(os.getenv("MIX_INVOICES") or "") or 1000
local customers = tonumber(os.getenv("MIX_CUSTOMERS") or "") or 200
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  math.randomseed(20250701)
end

local function invoice_body()
  return string.format(
    '{"date":"2025-06-%02d","customer_number":%d,"description":"Verkkokauppa",'
      .. '"rows":[{"product_code":"KOU-01","quantity":%d,"unit_price":95.0,"total":0},'
      .. '{"product_code":"ASE-02","quantity":1,"unit_price":%d.5,"discount":10,"total":0}]}',
    math.random(1, 28), 10000 + math.random(1, customers), math.random(1, 8), math.random(5, 400)
  )
end

function request()
  counter = counter + 1
  local kind = counter % 4
  local invoice = target or math.random(1, seeded)
  if kind == 1 then
    return wrk.format("POST", "/api/invoices", headers, invoice_body())
  elseif kind == 0 then
    return wrk.format("POST", "/api/invoices/" .. invoice .. "/payment", headers,
      string.format('{"date":"2025-06-30","total":%d.25}', math.random(1, 50)))
  end
  return wrk.format("POST", "/api/invoices/" .. invoice .. "/row", headers,
    string.format('{"quantity":%d,"unit_price":12.4,"total":0}', math.random(1, 5)))
end

function response(status, headers, body)
  local id = string.match(body, '"invoice_id":(%d+)')
  if id then
    target = id
  end
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
