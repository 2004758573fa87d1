module github.com/zkit-go/zkit

go 1.24
