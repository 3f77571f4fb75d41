-- The trial's Lua script (tests/e2e/programs.sh): strings, tables, coroutines, math, files in
-- the directory given as arg[1], os.time/os.clock and errors caught by pcall. Everything it
-- prints is the same on every machine, so the host's Lua and the guest's must print the same.
local dir = assert(arg[1], "usage: lua trial.lua DIR")

-- Strings: formatting, patterns, gsub with a function, byte and char.
local s = string.format("%5.2f|%-6s|%x|%q", math.pi, "ab", 48879, "a\nb")
print("format", s)
local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
print("words", #words, table.concat(words, ","))
print("gsub", (("hello world"):gsub("o", function(c) return c:upper() end)))
print("rep", ("ab"):rep(3, "-"), string.char(76, 117, 97), ("xyz"):byte(1, -1))

-- Tables: sort with a comparator, a large table, integer and float keys.
local t = {}
for i = 1, 10000 do t[i] = (i * 7919) % 10007 end
table.sort(t, function(a, b) return a > b end)
local sum = 0
for _, v in ipairs(t) do sum = sum + v end
print("sort", t[1], t[2], t[10000], sum)
local m = {}
for i = 1, 1000 do m["k" .. i] = i * i end
local n, acc = 0, 0
for k, v in pairs(m) do n = n + 1; acc = acc + v end
print("map", n, acc, m.k500)
print("unpack", table.unpack({1, 2, 3}), select("#", table.unpack({1, nil, 3}, 1, 3)))

-- Coroutines: a generator and a producer and consumer passing values both ways.
local function gen(k)
  return coroutine.wrap(function() for i = 1, k do coroutine.yield(i * i) end end)
end
local squares = {}
for v in gen(10) do squares[#squares + 1] = v end
print("coroutine", table.concat(squares, " "))
local co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  local c = coroutine.yield(b * 2)
  return a + b + c
end)
print("resume", select(2, coroutine.resume(co, 1)), select(2, coroutine.resume(co, 10)),
      select(2, coroutine.resume(co, 100)), coroutine.status(co))

-- Math: floats, integers, integer division and overflow, a seeded generator.
print("math", math.floor(-3.5), math.ceil(3.2), 7 // 2, -7 // 2, 7 % -3, 2^10, math.maxinteger + 1 == math.mininteger)
print("float", string.format("%.10f %.10f %.10f", math.sin(1), math.sqrt(2), math.exp(1)))
print("tostring", 1e100, 0.1 + 0.2, 1/0, -1/0, math.tointeger(3.0), 10 / 2)
local x = 0
for i = 1, 200000 do x = (x * 1103515245 + 12345) % 2147483648 end
print("lcg", x)

-- Files: write, append, read back by lines and by numbers, seek, remove.
local path = dir .. "/lua-trial.txt"
local f = assert(io.open(path, "w"))
for i = 1, 1000 do f:write(i, " ", i * i, "\n") end
f:close()
f = assert(io.open(path, "a")); f:write("end\n"); f:close()
f = assert(io.open(path, "r"))
local lines, total = 0, 0
for line in f:lines() do
  lines = lines + 1
  local a, b = line:match("^(%d+) (%d+)$")
  if a then total = total + tonumber(b) end
end
print("file", lines, total, f:seek("end"))
f:seek("set", 0)
print("read", f:read("n", "n"), f:read("l"), f:read(5))
f:close()
local none, msg, code = io.open(dir .. "/no-such-file")
print("missing", none, msg:match(": (.*)$"), code)
print("remove", os.remove(path), io.open(path) == nil)

-- Time: the wall clock is after 2020 and moves forward; os.clock counts CPU time.
local t0, c0 = os.time(), os.clock()
local spin = 0
for i = 1, 3000000 do spin = spin + i end
print("time", t0 > 1577836800, os.time() >= t0, os.clock() > c0, type(os.date("%Y")))
print("date", os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), os.time({year = 2000, month = 1, day = 1, hour = 12}) ~= nil)

-- Errors: pcall, error with tables, xpcall with a traceback handler, error positions.
print("pcall", pcall(error, "plain"))
local ok, e = pcall(function() error({code = 42}) end)
print("table-error", ok, e.code)
-- The message names the script as it was given; keep only the line.
local ok2, e2 = pcall(function() local z = nil; return z.field end)
print("nil-index", ok2, (e2:gsub("^.-:(%d+):", "line %1:")))
print("xpcall", xpcall(function() error("deep", 0) end, function(msg) return "handled: " .. msg end))
print("tonumber", tonumber("0x10"), tonumber("z", 36), tonumber("1e2"), tonumber("junk"))
print("done")
