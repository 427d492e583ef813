-- wrk script: HTTP/1.1 pipelining. Each write carries DEPTH requests for the URL's path (wrk's first script
-- argument, 16 when none is given), and wrk sends the next write once all DEPTH responses are back.
-- Usage: wrk -t1 -c50 -d10s -s bench/wrk/pipeline.lua http://127.0.0.1:PORT/plaintext -- 16

local depth = 16

function init(args)
  if args[1] ~= nil then
    depth = tonumber(args[1])
    if depth == nil or depth < 1 or depth % 1 ~= 0 then
      error("pipeline.lua: the depth is a whole number of at least 1, not '" .. args[1] .. "'")
    end
  end

  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format(nil, nil)
  end
  batch = table.concat(requests)
end

function request()
  return batch
end
