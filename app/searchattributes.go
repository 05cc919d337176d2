package app

import (
	"context"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/clickstream-platform/clickstream/workflows"
)

// EnsureSearchAttributes registers in namespace the clickstream search
// attributes it lacks (workflows.SearchAttributes), so that runs can set
// them. It returns nil when they all exist with the right types afterwards.
// An error says which are missing and how to add them by hand: on Temporal
// Cloud, or where the worker's identity may not change the namespace,
// registration is refused, and runs then carry their source, mode and days
// as memo only.
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	ops := c.OperatorService()
	list, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing the search attributes of namespace %s: %w", namespace, err)
	}
	have := list.GetCustomAttributes()
	missing := &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: map[string]enumspb.IndexedValueType{}}
	var how []string
	for _, k := range workflows.SearchAttributes() {
		t, ok := have[k.GetName()]
		switch {
		case !ok:
			missing.SearchAttributes[k.GetName()] = k.GetValueType()
			how = append(how, fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type %s",
				namespace, k.GetName(), strings.TrimPrefix(k.GetValueType().String(), "INDEXED_VALUE_TYPE_")))
		case t != k.GetValueType():
			return fmt.Errorf("search attribute %s of namespace %s has type %s, the pipeline needs %s", k.GetName(), namespace, t, k.GetValueType())
		}
	}
	if len(missing.SearchAttributes) == 0 {
		return nil
	}
	if _, err := ops.AddSearchAttributes(ctx, missing); err != nil {
		return fmt.Errorf("registering search attributes in namespace %s: %w; add them with:\n  %s", namespace, err, strings.Join(how, "\n  "))
	}
	return nil
}
