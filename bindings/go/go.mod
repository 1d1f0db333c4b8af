module libkws/kws

// Debian 12's golang-go, which ./setup.sh installs. No dependencies: cgo and the standard library.
go 1.19
