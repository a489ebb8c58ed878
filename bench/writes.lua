-- Each request is the next line of a file: method, path, cookie, form body, HX-Target,
-- tab-separated (bench/prepare.py writes them). Every wrk thread takes its own share of
-- the lines (line n goes to thread n mod threads), so no two threads send the same one.
-- wrk -s bench/writes.lua URL -- FILE THREADS once|cycle
-- "once": a line is sent at most once (an endorsement, an approval), and a thread that
-- has sent all of its lines stops; "cycle": it starts again (a ballot, changed).

local made = {}

function setup(thread)
  thread:set("id", #made)
  made[#made + 1] = thread
end

function init(args)
  local path, threads, mode = args[1], tonumber(args[2]), args[3]
  lines, next_line, once = {}, 0, mode == "once"
  ok, bad, statuses = 0, 0, {}
  local n = 0
  for line in io.lines(path) do
    if n % threads == id then
      local method, target, cookie, body, hx = line:match(
        "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      lines[#lines + 1] = wrk.format(method, target, {
        ["Cookie"] = cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["HX-Request"] = "true",
        ["HX-Target"] = hx,
        ["Accept-Encoding"] = "br, gzip",
      }, body)
    end
    n = n + 1
  end
end

function request()
  next_line = next_line + 1
  if next_line > #lines then
    if once then
      -- Nothing left to send: a harmless read, and this thread stops on its answer.
      return wrk.format("GET", "/healthz")
    end
    next_line = 1
  end
  return lines[next_line]
end

function response(status, headers, body)
  if next_line > #lines and once then
    wrk.thread:stop()
    return
  end
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad, by_status = 0, 0, {}
  for _, thread in ipairs(made) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
    for status, count in pairs(thread:get("statuses")) do
      by_status[#by_status + 1] = status .. ":" .. count
    end
  end
  io.write(string.format("WRITES ok=%d bad=%d statuses=%s\n", total_ok, total_bad,
    table.concat(by_status, ",")))
end
