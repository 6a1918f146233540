package servicenow_test

import (
	"errors"
	"fmt"

	"github.com/onbehalf/onbehalf/servicenow"
)

func ExampleQuery() {
	q := servicenow.NewQuery().
		EqMe("assigned_to").
		Eq("active", "true").
		Like("short_description", "VPN").
		OrderBy("number")
	enc, err := q.Encode()
	fmt.Println(enc, err)

	// Text from a model or a user is only ever a value; a value that would
	// add a condition is refused, never passed on.
	_, err = servicenow.NewQuery().Like("short_description", "vpn^ORcategory=hr").Encode()
	fmt.Println(errors.Is(err, servicenow.ErrUnsafeValue), err)
	// Output:
	// assigned_to=javascript:gs.getUserID()^active=true^short_descriptionLIKEVPN^ORDERBYnumber <nil>
	// true servicenow: query field "short_description": value contains '^'
}
