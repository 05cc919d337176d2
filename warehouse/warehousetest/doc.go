// Package warehousetest holds what the tests of both warehouses use: staged
// files written by the real transform from generated data, and a run
// record with the row it must become. Like net/http/httptest, it is for
// tests only.
package warehousetest
