module goc/scenarios/go

go 1.19
