package identity

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/onbehalf/onbehalf/store"
)

func validateAPIKey(v *validator, key string) {
	if v.required("apiKey", key) {
		v.length("apiKey", key, 1, 65536)
	}
}

func (b *Broker) apiKeyOutput(r store.Resource) GetApiKeyCredentialProviderOutput {
	var doc apiKeyDoc
	json.Unmarshal(r.Data, &doc)
	return GetApiKeyCredentialProviderOutput{
		APIKeySecretArn:       Secret{SecretArn: doc.SecretARN},
		Name:                  r.Name,
		CredentialProviderArn: b.apiKeyProviderARN(r.Name),
		CreatedTime:           r.CreatedAt,
		LastUpdatedTime:       r.UpdatedAt,
	}
}

// CreateApiKeyCredentialProvider stores an API key, sealed. Errors:
// ValidationException, ConflictException when the name is taken.
func (b *Broker) CreateApiKeyCredentialProvider(ctx context.Context, in CreateApiKeyCredentialProviderInput) (CreateApiKeyCredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "CreateApiKeyCredentialProvider")
	ev.Provider = in.Name
	if err := checkControlPlane(ctx); err != nil {
		return CreateApiKeyCredentialProviderOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.createAPIKey(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) createAPIKey(ctx context.Context, in CreateApiKeyCredentialProviderInput, source string) (CreateApiKeyCredentialProviderOutput, error) {
	var v validator
	v.providerName("name", in.Name)
	validateAPIKey(&v, in.APIKey)
	v.tags("tags", in.Tags)
	if err := v.err(); err != nil {
		return CreateApiKeyCredentialProviderOutput{}, err
	}
	sealed, err := b.seal(kindAPIKeyProvider, in.Name, apiKeySecret{APIKey: in.APIKey})
	if err != nil {
		return CreateApiKeyCredentialProviderOutput{}, newError(InternalServerException, err, "cannot seal the API key")
	}
	doc := apiKeyDoc{SecretARN: b.secretARN("apikey", in.Name), Tags: in.Tags, Source: source}
	now := b.now()
	err = b.cfg.Store.CreateResource(ctx, store.Resource{Kind: kindAPIKeyProvider, Name: in.Name, Data: marshalDoc(doc), Secret: sealed, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return CreateApiKeyCredentialProviderOutput{}, newError(ConflictException, nil, "API key credential provider %q already exists", in.Name)
	}
	if err != nil {
		return CreateApiKeyCredentialProviderOutput{}, storeError(err)
	}
	b.apiKeyCache.drop(in.Name)
	return CreateApiKeyCredentialProviderOutput{APIKeySecretArn: Secret{SecretArn: doc.SecretARN}, Name: in.Name, CredentialProviderArn: b.apiKeyProviderARN(in.Name)}, nil
}

// GetApiKeyCredentialProvider returns a provider without its key.
func (b *Broker) GetApiKeyCredentialProvider(ctx context.Context, in GetApiKeyCredentialProviderInput) (GetApiKeyCredentialProviderOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return GetApiKeyCredentialProviderOutput{}, err
	}
	var v validator
	v.providerName("name", in.Name)
	if err := v.err(); err != nil {
		return GetApiKeyCredentialProviderOutput{}, err
	}
	r, err := b.cfg.Store.GetResource(ctx, kindAPIKeyProvider, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return GetApiKeyCredentialProviderOutput{}, newError(ResourceNotFoundException, nil, "API key credential provider %q not found", in.Name)
	}
	if err != nil {
		return GetApiKeyCredentialProviderOutput{}, storeError(err)
	}
	return b.apiKeyOutput(r), nil
}

// ListApiKeyCredentialProviders lists providers by name, a page at a time.
func (b *Broker) ListApiKeyCredentialProviders(ctx context.Context, in ListApiKeyCredentialProvidersInput) (ListApiKeyCredentialProvidersOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return ListApiKeyCredentialProvidersOutput{}, err
	}
	var v validator
	v.maxResults("maxResults", in.MaxResults, 100)
	if err := v.err(); err != nil {
		return ListApiKeyCredentialProvidersOutput{}, err
	}
	rs, next, err := b.listPage(ctx, kindAPIKeyProvider, in.NextToken, 100, in.MaxResults)
	if err != nil {
		return ListApiKeyCredentialProvidersOutput{}, err
	}
	out := ListApiKeyCredentialProvidersOutput{CredentialProviders: []ApiKeyCredentialProviderItem{}, NextToken: next}
	for _, r := range rs {
		out.CredentialProviders = append(out.CredentialProviders, ApiKeyCredentialProviderItem{
			Name: r.Name, CredentialProviderArn: b.apiKeyProviderARN(r.Name), CreatedTime: r.CreatedAt, LastUpdatedTime: r.UpdatedAt,
		})
	}
	return out, nil
}

// UpdateApiKeyCredentialProvider replaces the key. Providers defined in
// Config.APIKeyProviders are refused with ConflictException.
func (b *Broker) UpdateApiKeyCredentialProvider(ctx context.Context, in UpdateApiKeyCredentialProviderInput) (UpdateApiKeyCredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "UpdateApiKeyCredentialProvider")
	ev.Provider = in.Name
	if err := checkControlPlane(ctx); err != nil {
		return UpdateApiKeyCredentialProviderOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.updateAPIKey(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) updateAPIKey(ctx context.Context, in UpdateApiKeyCredentialProviderInput, source string) (UpdateApiKeyCredentialProviderOutput, error) {
	var v validator
	v.providerName("name", in.Name)
	validateAPIKey(&v, in.APIKey)
	if err := v.err(); err != nil {
		return UpdateApiKeyCredentialProviderOutput{}, err
	}
	if source == "" && b.configAPIKeys[in.Name] {
		return UpdateApiKeyCredentialProviderOutput{}, configOwned("API key credential provider", in.Name)
	}
	sealed, err := b.seal(kindAPIKeyProvider, in.Name, apiKeySecret{APIKey: in.APIKey})
	if err != nil {
		return UpdateApiKeyCredentialProviderOutput{}, newError(InternalServerException, err, "cannot seal the API key")
	}
	var updated store.Resource
	err = b.cfg.Store.UpdateResource(ctx, kindAPIKeyProvider, in.Name, func(r store.Resource) (store.Resource, error) {
		var doc apiKeyDoc
		json.Unmarshal(r.Data, &doc)
		doc.Source = source
		r.Data, r.Secret, r.UpdatedAt = marshalDoc(doc), sealed, b.now()
		updated = r
		return r, nil
	})
	b.apiKeyCache.drop(in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return UpdateApiKeyCredentialProviderOutput{}, newError(ResourceNotFoundException, nil, "API key credential provider %q not found", in.Name)
	}
	if err != nil {
		return UpdateApiKeyCredentialProviderOutput{}, asError(err)
	}
	return b.apiKeyOutput(updated), nil
}

// DeleteApiKeyCredentialProvider deletes a provider and its key.
func (b *Broker) DeleteApiKeyCredentialProvider(ctx context.Context, in DeleteApiKeyCredentialProviderInput) (DeleteApiKeyCredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "DeleteApiKeyCredentialProvider")
	ev.Provider = in.Name
	err := checkControlPlane(ctx)
	if err == nil {
		err = b.deleteResource(ctx, kindAPIKeyProvider, in.Name, "API key credential provider", b.configAPIKeys[in.Name])
	}
	b.apiKeyCache.drop(in.Name)
	return DeleteApiKeyCredentialProviderOutput{}, b.finish(ctx, &ev, err)
}
