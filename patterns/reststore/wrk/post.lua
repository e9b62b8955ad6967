-- wrk script: the POST mix, every request creates a user (W11's write load).
-- The figures after the run are report.lua's: its done() is loaded from
-- beside this file, so both scripts print the same JSON line.
wrk.method = "POST"
wrk.body = '{"name":"Ada Lovelace","email":"ada@example.com"}'
wrk.headers["Content-Type"] = "application/json"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
