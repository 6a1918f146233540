package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

func validateWorkloadLists(v *validator, returnURLs, providers []string) {
	for i, u := range returnURLs {
		v.returnURL(fmt.Sprintf("allowedResourceOauth2ReturnUrls.%d", i+1), u)
	}
	for i, p := range providers {
		v.providerName(fmt.Sprintf("allowedCredentialProviders.%d", i+1), p)
	}
}

func (b *Broker) workloadOutput(r store.Resource) GetWorkloadIdentityOutput {
	var doc workloadDoc
	json.Unmarshal(r.Data, &doc)
	return GetWorkloadIdentityOutput{
		Name:                            r.Name,
		WorkloadIdentityArn:             b.workloadARN(r.Name),
		AllowedResourceOauth2ReturnUrls: doc.ReturnURLs,
		CreatedTime:                     r.CreatedAt,
		LastUpdatedTime:                 r.UpdatedAt,
		AllowedCredentialProviders:      doc.AllowedProviders,
	}
}

// CreateWorkloadIdentity stores a new workload identity. Errors:
// ValidationException, ConflictException when the name is taken.
func (b *Broker) CreateWorkloadIdentity(ctx context.Context, in CreateWorkloadIdentityInput) (CreateWorkloadIdentityOutput, error) {
	ev := b.newEvent(ctx, "CreateWorkloadIdentity")
	ev.Workload = in.Name
	if err := checkControlPlane(ctx); err != nil {
		return CreateWorkloadIdentityOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.createWorkload(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) createWorkload(ctx context.Context, in CreateWorkloadIdentityInput, source string) (CreateWorkloadIdentityOutput, error) {
	var v validator
	v.workloadName("name", in.Name)
	validateWorkloadLists(&v, in.AllowedResourceOauth2ReturnUrls, in.AllowedCredentialProviders)
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return CreateWorkloadIdentityOutput{}, err
	}
	doc := workloadDoc{ReturnURLs: in.AllowedResourceOauth2ReturnUrls, AllowedProviders: in.AllowedCredentialProviders, Tags: in.Tags, Source: source}
	now := b.now()
	err := b.cfg.Store.CreateResource(ctx, store.Resource{Kind: kindWorkload, Name: in.Name, Data: marshalDoc(doc), CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return CreateWorkloadIdentityOutput{}, newError(ConflictException, nil, "workload identity %q already exists", in.Name)
	}
	if err != nil {
		return CreateWorkloadIdentityOutput{}, storeError(err)
	}
	b.workloadCache.drop(in.Name)
	return CreateWorkloadIdentityOutput{Name: in.Name, WorkloadIdentityArn: b.workloadARN(in.Name), AllowedResourceOauth2ReturnUrls: in.AllowedResourceOauth2ReturnUrls}, nil
}

// GetWorkloadIdentity returns a workload identity.
func (b *Broker) GetWorkloadIdentity(ctx context.Context, in GetWorkloadIdentityInput) (GetWorkloadIdentityOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return GetWorkloadIdentityOutput{}, err
	}
	var v validator
	v.workloadName("name", in.Name)
	if err := v.err(); err != nil {
		return GetWorkloadIdentityOutput{}, err
	}
	r, err := b.cfg.Store.GetResource(ctx, kindWorkload, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return GetWorkloadIdentityOutput{}, newError(ResourceNotFoundException, nil, "workload identity %q not found", in.Name)
	}
	if err != nil {
		return GetWorkloadIdentityOutput{}, storeError(err)
	}
	return b.workloadOutput(r), nil
}

// ListWorkloadIdentities lists workload identities by name, a page at a
// time.
func (b *Broker) ListWorkloadIdentities(ctx context.Context, in ListWorkloadIdentitiesInput) (ListWorkloadIdentitiesOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return ListWorkloadIdentitiesOutput{}, err
	}
	var v validator
	v.maxResults("maxResults", in.MaxResults, 20)
	if err := v.err(); err != nil {
		return ListWorkloadIdentitiesOutput{}, err
	}
	rs, next, err := b.listPage(ctx, kindWorkload, in.NextToken, 20, in.MaxResults)
	if err != nil {
		return ListWorkloadIdentitiesOutput{}, err
	}
	out := ListWorkloadIdentitiesOutput{WorkloadIdentities: []WorkloadIdentityType{}, NextToken: next}
	for _, r := range rs {
		out.WorkloadIdentities = append(out.WorkloadIdentities, WorkloadIdentityType{Name: r.Name, WorkloadIdentityArn: b.workloadARN(r.Name)})
	}
	return out, nil
}

// UpdateWorkloadIdentity replaces the allowed return URLs (and, when given,
// the allowed credential providers). Workloads defined in Config.Workloads
// are refused with ConflictException.
func (b *Broker) UpdateWorkloadIdentity(ctx context.Context, in UpdateWorkloadIdentityInput) (UpdateWorkloadIdentityOutput, error) {
	ev := b.newEvent(ctx, "UpdateWorkloadIdentity")
	ev.Workload = in.Name
	if err := checkControlPlane(ctx); err != nil {
		return UpdateWorkloadIdentityOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.updateWorkload(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) updateWorkload(ctx context.Context, in UpdateWorkloadIdentityInput, source string) (UpdateWorkloadIdentityOutput, error) {
	var v validator
	v.workloadName("name", in.Name)
	var providers []string
	if in.AllowedCredentialProviders != nil {
		providers = *in.AllowedCredentialProviders
	}
	validateWorkloadLists(&v, in.AllowedResourceOauth2ReturnUrls, providers)
	if err := v.err(); err != nil {
		return UpdateWorkloadIdentityOutput{}, err
	}
	if source == "" && b.configWorkloads[in.Name] {
		return UpdateWorkloadIdentityOutput{}, configOwned("workload identity", in.Name)
	}
	var updated store.Resource
	err := b.cfg.Store.UpdateResource(ctx, kindWorkload, in.Name, func(r store.Resource) (store.Resource, error) {
		var doc workloadDoc
		json.Unmarshal(r.Data, &doc)
		doc.ReturnURLs = in.AllowedResourceOauth2ReturnUrls
		if in.AllowedCredentialProviders != nil {
			doc.AllowedProviders = slices.Clone(*in.AllowedCredentialProviders)
		}
		doc.Source = source
		r.Data, r.UpdatedAt = marshalDoc(doc), b.now()
		updated = r
		return r, nil
	})
	b.workloadCache.drop(in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return UpdateWorkloadIdentityOutput{}, newError(ResourceNotFoundException, nil, "workload identity %q not found", in.Name)
	}
	if err != nil {
		return UpdateWorkloadIdentityOutput{}, asError(err)
	}
	return b.workloadOutput(updated), nil
}

// DeleteWorkloadIdentity deletes a workload identity; its workload access
// tokens stop working.
func (b *Broker) DeleteWorkloadIdentity(ctx context.Context, in DeleteWorkloadIdentityInput) (DeleteWorkloadIdentityOutput, error) {
	ev := b.newEvent(ctx, "DeleteWorkloadIdentity")
	ev.Workload = in.Name
	err := checkControlPlane(ctx)
	if err == nil {
		err = b.deleteResource(ctx, kindWorkload, in.Name, "workload identity", b.configWorkloads[in.Name])
	}
	b.workloadCache.drop(in.Name)
	return DeleteWorkloadIdentityOutput{}, b.finish(ctx, &ev, err)
}

// GetTokenVault describes the one token vault, "default", sealed by the
// broker's keyring (AWS's ServiceManagedKey). LastModifiedDate is when the
// vault was first used.
func (b *Broker) GetTokenVault(ctx context.Context, in GetTokenVaultInput) (GetTokenVaultOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return GetTokenVaultOutput{}, err
	}
	id := in.TokenVaultID
	if id == "" {
		id = "default"
	}
	var v validator
	if v.length("tokenVaultId", id, 1, 64) && !providerNameRE.MatchString(id) {
		v.add("tokenVaultId", "Member must satisfy regular expression pattern: [a-zA-Z0-9\\-_]+")
	}
	if err := v.err(); err != nil {
		return GetTokenVaultOutput{}, err
	}
	if id != "default" {
		return GetTokenVaultOutput{}, newError(ResourceNotFoundException, nil, "token vault %q not found", id)
	}
	r, err := b.cfg.Store.GetResource(ctx, kindTokenVault, id)
	var modified time.Time
	switch {
	case err == nil:
		modified = r.UpdatedAt
	case errors.Is(err, store.ErrNotFound):
		modified = b.started
	default:
		return GetTokenVaultOutput{}, storeError(err)
	}
	return GetTokenVaultOutput{TokenVaultID: id, KmsConfiguration: KmsConfiguration{KeyType: "ServiceManagedKey"}, LastModifiedDate: modified}, nil
}
