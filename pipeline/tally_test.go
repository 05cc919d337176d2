package pipeline_test

import (
	"reflect"
	"testing"

	"github.com/clickstream-platform/clickstream/pipeline"
)

// TestTallyAddCoversEveryField fills every field of a Tally with a distinct
// value and checks Add sums each: a field added to Tally but forgotten in
// Add fails here.
func TestTallyAddCoversEveryField(t *testing.T) {
	var one pipeline.Tally
	fill(reflect.ValueOf(&one).Elem(), new(int64))
	sum := one
	sum.Add(one)
	var want pipeline.Tally
	double(reflect.ValueOf(&want).Elem(), reflect.ValueOf(one))
	if sum != want {
		t.Errorf("one + one = %+v, want %+v", sum, want)
	}
	if (pipeline.Tally{}) == one {
		t.Fatal("fill left the tally zero")
	}
}

// fill sets every integer field below v to a distinct positive value.
func fill(v reflect.Value, next *int64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), next)
		}
	case reflect.Int, reflect.Int64:
		*next++
		v.SetInt(*next)
	}
}

// double sets every integer field below dst to twice its value in src.
func double(dst, src reflect.Value) {
	switch dst.Kind() {
	case reflect.Struct:
		for i := range dst.NumField() {
			double(dst.Field(i), src.Field(i))
		}
	case reflect.Int, reflect.Int64:
		dst.SetInt(2 * src.Int())
	}
}

func TestSettingsWithDefaults(t *testing.T) {
	d := pipeline.Settings{Source: "data/source", Mode: "replace", BatchObjects: 64, BatchBytes: 1 << 26, Window: 4,
		PageSize: 1000, PagesPerRun: 20, StagingFormat: "parquet"}
	tests := []struct {
		name string
		in   pipeline.Settings
		want pipeline.Settings
	}{
		{"empty takes every default", pipeline.Settings{}, d},
		{"given fields win", pipeline.Settings{Source: "gs://b/p", Mode: "merge", Window: 1},
			pipeline.Settings{Source: "gs://b/p", Mode: "merge", BatchObjects: 64, BatchBytes: 1 << 26, Window: 1,
				PageSize: 1000, PagesPerRun: 20, StagingFormat: "parquet"}},
		{"to defaults to from", pipeline.Settings{From: "2024-01-30"},
			pipeline.Settings{Source: "data/source", Mode: "replace", BatchObjects: 64, BatchBytes: 1 << 26, Window: 4,
				PageSize: 1000, PagesPerRun: 20, StagingFormat: "parquet", From: "2024-01-30", To: "2024-01-30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.WithDefaults(d); got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
