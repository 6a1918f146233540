package identity

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/onbehalf/onbehalf/store"
)

const cfgPrefix = "oauth2ProviderConfigInput."

// vendorMember is the union member a vendor's configuration goes in.
func vendorMember(vendor string) string {
	switch vendor {
	case VendorCustomOauth2:
		return "customOauth2ProviderConfig"
	case VendorMicrosoftOauth2:
		return "microsoftOauth2ProviderConfig"
	case VendorGoogleOauth2:
		return "googleOauth2ProviderConfig"
	case VendorGithubOauth2:
		return "githubOauth2ProviderConfig"
	case VendorSlackOauth2:
		return "slackOauth2ProviderConfig"
	case VendorSalesforceOauth2:
		return "salesforceOauth2ProviderConfig"
	case VendorAtlassianOauth2:
		return "atlassianOauth2ProviderConfig"
	case VendorLinkedinOauth2:
		return "linkedinOauth2ProviderConfig"
	}
	return "includedOauth2ProviderConfig"
}

// setMembers lists the union members of c that are set.
func setMembers(c Oauth2ProviderConfigInput) []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(c.CustomOauth2ProviderConfig != nil, "customOauth2ProviderConfig")
	add(c.GoogleOauth2ProviderConfig != nil, "googleOauth2ProviderConfig")
	add(c.GithubOauth2ProviderConfig != nil, "githubOauth2ProviderConfig")
	add(c.SlackOauth2ProviderConfig != nil, "slackOauth2ProviderConfig")
	add(c.SalesforceOauth2ProviderConfig != nil, "salesforceOauth2ProviderConfig")
	add(c.MicrosoftOauth2ProviderConfig != nil, "microsoftOauth2ProviderConfig")
	add(c.AtlassianOauth2ProviderConfig != nil, "atlassianOauth2ProviderConfig")
	add(c.LinkedinOauth2ProviderConfig != nil, "linkedinOauth2ProviderConfig")
	add(c.IncludedOauth2ProviderConfig != nil, "includedOauth2ProviderConfig")
	return out
}

// validateOauth2Config checks a provider configuration. secretKept says an
// empty client secret means "keep the stored one" (Update).
func validateOauth2Config(v *validator, vendor string, c Oauth2ProviderConfigInput, secretKept bool) {
	if !slices.Contains(vendors, vendor) {
		v.enum("credentialProviderVendor", vendor, vendors...)
		return
	}
	members := setMembers(c)
	want := vendorMember(vendor)
	if len(members) != 1 {
		v.add("oauth2ProviderConfigInput", "Member must have exactly one of its union members set")
		return
	}
	if members[0] != want {
		v.add(cfgPrefix+members[0], "Member does not match credentialProviderVendor %s (use %s)", vendor, want)
		return
	}
	f := cfgPrefix + want + "."
	secret := func(s string) {
		if s == "" && !secretKept {
			v.add(f+"clientSecret", "Member must not be null")
		} else if len(s) > 2048 {
			v.add(f+"clientSecret", "Member must have length less than or equal to 2048")
		}
	}
	clientID := func(s string) {
		if v.required(f+"clientId", s) {
			v.length(f+"clientId", s, 1, 256)
		}
	}
	switch {
	case c.CustomOauth2ProviderConfig != nil:
		validateCustom(v, f, c.CustomOauth2ProviderConfig, secretKept)
	case c.MicrosoftOauth2ProviderConfig != nil:
		mc := c.MicrosoftOauth2ProviderConfig
		clientID(mc.ClientID)
		secret(mc.ClientSecret)
		if mc.TenantID != "" {
			v.length(f+"tenantId", mc.TenantID, 1, 2048)
		}
		if mc.DiscoveryURL != "" {
			validateDiscoveryURL(v, f+"discoveryUrl", mc.DiscoveryURL)
		}
	case c.IncludedOauth2ProviderConfig != nil:
		ic := c.IncludedOauth2ProviderConfig
		clientID(ic.ClientID)
		secret(ic.ClientSecret)
		switch {
		case ic.TokenEndpoint != "":
			v.httpURL(f+"tokenEndpoint", ic.TokenEndpoint)
			if ic.AuthorizationEndpoint != "" {
				v.httpURL(f+"authorizationEndpoint", ic.AuthorizationEndpoint)
			}
		case ic.Issuer != "":
			v.httpURL(f+"issuer", ic.Issuer)
		default:
			v.add(f+"tokenEndpoint", "Member must not be null: onbehalf needs the tokenEndpoint (or an issuer with a discovery document) for vendor %s", vendor)
		}
	default:
		vc := vendorConfig(c)
		clientID(vc.ClientID)
		secret(vc.ClientSecret)
	}
}

func validateDiscoveryURL(v *validator, field, s string) {
	if v.httpURL(field, s) && !discoveryPathRE.MatchString(s) {
		v.add(field, `Member must satisfy regular expression pattern: .+/\.well-known/(openid-configuration|oauth-authorization-server)`)
	}
}

func validateCustom(v *validator, f string, cc *CustomOauth2ProviderConfigInput, secretKept bool) {
	d := cc.OauthDiscovery
	switch {
	case d.DiscoveryURL != "" && d.AuthorizationServerMetadata != nil, d.DiscoveryURL == "" && d.AuthorizationServerMetadata == nil:
		v.add(f+"oauthDiscovery", "Member must have exactly one of its union members set")
	case d.DiscoveryURL != "":
		validateDiscoveryURL(v, f+"oauthDiscovery.discoveryUrl", d.DiscoveryURL)
	default:
		m := d.AuthorizationServerMetadata
		mf := f + "oauthDiscovery.authorizationServerMetadata."
		v.required(mf+"issuer", m.Issuer)
		if v.required(mf+"authorizationEndpoint", m.AuthorizationEndpoint) {
			v.httpURL(mf+"authorizationEndpoint", m.AuthorizationEndpoint)
		}
		if v.required(mf+"tokenEndpoint", m.TokenEndpoint) {
			v.httpURL(mf+"tokenEndpoint", m.TokenEndpoint)
		}
		if m.TokenEndpointAuthMethods != nil && (len(m.TokenEndpointAuthMethods) < 1 || len(m.TokenEndpointAuthMethods) > 2) {
			v.add(mf+"tokenEndpointAuthMethods", "Member must have length between 1 and 2")
		}
		for _, am := range m.TokenEndpointAuthMethods {
			if am != "client_secret_post" && am != "client_secret_basic" {
				v.add(mf+"tokenEndpointAuthMethods", "Member must satisfy regular expression pattern: (client_secret_post|client_secret_basic)")
			}
		}
	}
	if v.required(f+"clientId", cc.ClientID) {
		v.length(f+"clientId", cc.ClientID, 1, 256)
	}
	method := cc.ClientAuthenticationMethod
	switch method {
	case "", AuthClientSecretBasic, AuthClientSecretPost:
		if cc.ClientSecret == "" && !secretKept {
			v.add(f+"clientSecret", "Member must not be null with clientAuthenticationMethod %s", or(method, AuthClientSecretPost))
		}
		if cc.PrivateKeyJwtConfig != nil || cc.PrivateKeyPEM != "" {
			v.add(f+"privateKeyJwtConfig", "Member is only valid with clientAuthenticationMethod PRIVATE_KEY_JWT")
		}
	case AuthPrivateKeyJWT:
		if cc.ClientSecret != "" {
			v.add(f+"clientSecret", "Member must be null with clientAuthenticationMethod PRIVATE_KEY_JWT")
		}
		alg := ""
		if pk := cc.PrivateKeyJwtConfig; pk != nil {
			alg = pk.SigningAlgorithm
			if alg != "" {
				v.enum(f+"privateKeyJwtConfig.signingAlgorithm", alg, "RS256", "PS256", "ES256")
			}
		}
		if cc.PrivateKeyPEM != "" {
			key, err := parsePrivateKey(cc.PrivateKeyPEM)
			switch {
			case err != nil:
				v.add(f+"privateKeyPem", "%s", err.Error())
			case !keyFitsAlg(key, alg):
				v.add(f+"privateKeyPem", "Member's key does not fit signingAlgorithm %s", alg)
			}
		}
	case "AWS_IAM_ID_TOKEN_JWT":
		v.add(f+"clientAuthenticationMethod", "Member value AWS_IAM_ID_TOKEN_JWT is not supported by onbehalf (there is no AWS IAM); use CLIENT_SECRET_BASIC, CLIENT_SECRET_POST or PRIVATE_KEY_JWT")
	default:
		v.enum(f+"clientAuthenticationMethod", method, AuthClientSecretBasic, AuthClientSecretPost, AuthPrivateKeyJWT)
	}
	if len(cc.ClientSecret) > 2048 {
		v.add(f+"clientSecret", "Member must have length less than or equal to 2048")
	}
	if o := cc.OnBehalfOfTokenExchangeConfig; o != nil {
		of := f + "onBehalfOfTokenExchangeConfig."
		if v.required(of+"grantType", o.GrantType) {
			v.enum(of+"grantType", o.GrantType, GrantTokenExchange, GrantJWTAuthorization)
		}
		if t := o.TokenExchangeGrantTypeConfig; t != nil {
			tf := of + "tokenExchangeGrantTypeConfig."
			if o.GrantType != GrantTokenExchange {
				v.add(of+"tokenExchangeGrantTypeConfig", "Member is only valid with grantType TOKEN_EXCHANGE")
			}
			switch t.ActorTokenContent {
			case ActorNone, ActorM2M:
			case "AWS_IAM_ID_TOKEN_JWT":
				v.add(tf+"actorTokenContent", "Member value AWS_IAM_ID_TOKEN_JWT is not supported by onbehalf; use NONE or M2M")
			case "":
				v.add(tf+"actorTokenContent", "Member must not be null")
			default:
				v.enum(tf+"actorTokenContent", t.ActorTokenContent, ActorNone, ActorM2M)
			}
			if len(t.ActorTokenScopes) > 0 && t.ActorTokenContent != ActorM2M {
				v.add(tf+"actorTokenScopes", "Member is only valid with actorTokenContent M2M")
			}
			for _, s := range t.ActorTokenScopes {
				v.length(tf+"actorTokenScopes", s, 1, 128)
			}
		}
	}
	if len(cc.PrivateEndpoint) > 0 && string(cc.PrivateEndpoint) != "null" {
		v.add(f+"privateEndpoint", "Member is not supported by onbehalf (VPC Lattice endpoints do not exist here)")
	}
	if len(cc.PrivateEndpointOverrides) > 0 && string(cc.PrivateEndpointOverrides) != "null" {
		v.add(f+"privateEndpointOverrides", "Member is not supported by onbehalf (VPC Lattice endpoints do not exist here)")
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// splitSecrets removes the secrets from c (a copy) and returns them; for
// PRIVATE_KEY_JWT without a key it generates one, unless keep holds the
// stored secret to keep (Update).
func splitSecrets(c Oauth2ProviderConfigInput, keep *oauth2Secret) (Oauth2ProviderConfigInput, oauth2Secret, error) {
	var sec oauth2Secret
	take := func(s *string) {
		sec.ClientSecret = *s
		*s = ""
	}
	switch {
	case c.CustomOauth2ProviderConfig != nil:
		cc := *c.CustomOauth2ProviderConfig
		take(&cc.ClientSecret)
		sec.PrivateKeyPEM, cc.PrivateKeyPEM = cc.PrivateKeyPEM, ""
		if cc.ClientAuthenticationMethod == AuthPrivateKeyJWT && sec.PrivateKeyPEM == "" {
			alg := ""
			if cc.PrivateKeyJwtConfig != nil {
				alg = cc.PrivateKeyJwtConfig.SigningAlgorithm
			}
			if keep != nil && keep.PrivateKeyPEM != "" {
				if key, err := parsePrivateKey(keep.PrivateKeyPEM); err == nil && keyFitsAlg(key, alg) {
					sec.PrivateKeyPEM = keep.PrivateKeyPEM
				}
			}
			if sec.PrivateKeyPEM == "" {
				pemText, err := generatePrivateKey(alg)
				if err != nil {
					return c, sec, err
				}
				sec.PrivateKeyPEM = pemText
			}
		}
		c.CustomOauth2ProviderConfig = &cc
	case c.MicrosoftOauth2ProviderConfig != nil:
		mc := *c.MicrosoftOauth2ProviderConfig
		take(&mc.ClientSecret)
		c.MicrosoftOauth2ProviderConfig = &mc
	case c.IncludedOauth2ProviderConfig != nil:
		ic := *c.IncludedOauth2ProviderConfig
		take(&ic.ClientSecret)
		c.IncludedOauth2ProviderConfig = &ic
	default:
		for _, pp := range []**VendorOauth2ProviderConfigInput{&c.GoogleOauth2ProviderConfig, &c.GithubOauth2ProviderConfig,
			&c.SlackOauth2ProviderConfig, &c.SalesforceOauth2ProviderConfig, &c.AtlassianOauth2ProviderConfig, &c.LinkedinOauth2ProviderConfig} {
			if *pp != nil {
				vc := **pp
				take(&vc.ClientSecret)
				*pp = &vc
			}
		}
	}
	if sec.ClientSecret == "" && keep != nil {
		sec.ClientSecret = keep.ClientSecret
	}
	return c, sec, nil
}

// configOutput is the output shape of a stored (secret-free) config.
func configOutput(vendor string, c Oauth2ProviderConfigInput) Oauth2ProviderConfigOutput {
	var out Oauth2ProviderConfigOutput
	vendorOut := func(clientID string, d Oauth2Discovery) *VendorOauth2ProviderConfigOutput {
		return &VendorOauth2ProviderConfigOutput{OauthDiscovery: d, ClientID: clientID}
	}
	switch {
	case c.CustomOauth2ProviderConfig != nil:
		cc := c.CustomOauth2ProviderConfig
		out.CustomOauth2ProviderConfig = &CustomOauth2ProviderConfigOutput{
			OauthDiscovery: cc.OauthDiscovery, ClientID: cc.ClientID,
			ClientAuthenticationMethod:    cc.ClientAuthenticationMethod,
			OnBehalfOfTokenExchangeConfig: cc.OnBehalfOfTokenExchangeConfig,
			PrivateKeyJwtConfig:           cc.PrivateKeyJwtConfig,
		}
	case c.MicrosoftOauth2ProviderConfig != nil:
		mc := c.MicrosoftOauth2ProviderConfig
		d := mc.DiscoveryURL
		if d == "" {
			d = entraDiscoveryURL(mc.TenantID)
		}
		out.MicrosoftOauth2ProviderConfig = vendorOut(mc.ClientID, Oauth2Discovery{DiscoveryURL: d})
	case c.IncludedOauth2ProviderConfig != nil:
		ic := c.IncludedOauth2ProviderConfig
		d := Oauth2Discovery{}
		if ic.TokenEndpoint != "" {
			d.AuthorizationServerMetadata = &Oauth2AuthorizationServerMetadata{Issuer: ic.Issuer, AuthorizationEndpoint: ic.AuthorizationEndpoint, TokenEndpoint: ic.TokenEndpoint}
		} else {
			d.DiscoveryURL = ic.Issuer + "/.well-known/openid-configuration"
		}
		out.IncludedOauth2ProviderConfig = vendorOut(ic.ClientID, d)
	default:
		vc := vendorConfig(c)
		kv := knownVendors[vendor]
		o := vendorOut(vc.ClientID, Oauth2Discovery{DiscoveryURL: kv.discovery, AuthorizationServerMetadata: kv.metadata})
		switch vendor {
		case VendorGoogleOauth2:
			out.GoogleOauth2ProviderConfig = o
		case VendorGithubOauth2:
			out.GithubOauth2ProviderConfig = o
		case VendorSlackOauth2:
			out.SlackOauth2ProviderConfig = o
		case VendorSalesforceOauth2:
			out.SalesforceOauth2ProviderConfig = o
		case VendorAtlassianOauth2:
			out.AtlassianOauth2ProviderConfig = o
		case VendorLinkedinOauth2:
			out.LinkedinOauth2ProviderConfig = o
		}
	}
	return out
}

func (b *Broker) oauth2Output(r store.Resource) (GetOauth2CredentialProviderOutput, error) {
	var doc oauth2Doc
	if err := json.Unmarshal(r.Data, &doc); err != nil {
		return GetOauth2CredentialProviderOutput{}, newError(InternalServerException, err, "credential provider %q is unreadable", r.Name)
	}
	return GetOauth2CredentialProviderOutput{
		ClientSecretArn:            Secret{SecretArn: doc.SecretARN},
		Name:                       r.Name,
		CredentialProviderArn:      b.oauth2ProviderARN(r.Name),
		CredentialProviderVendor:   doc.Vendor,
		CallbackURL:                b.CallbackURL(),
		Oauth2ProviderConfigOutput: configOutput(doc.Vendor, doc.Config),
		CreatedTime:                r.CreatedAt,
		LastUpdatedTime:            r.UpdatedAt,
		Status:                     StatusReady,
	}, nil
}

// CreateOauth2CredentialProvider stores a new OAuth2 credential provider,
// its client secret (and PRIVATE_KEY_JWT key) sealed. Errors:
// ValidationException naming each bad member, ConflictException when the
// name is taken.
func (b *Broker) CreateOauth2CredentialProvider(ctx context.Context, in CreateOauth2CredentialProviderInput) (CreateOauth2CredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "CreateOauth2CredentialProvider")
	ev.Provider = in.Name
	ev.Detail = "vendor " + in.CredentialProviderVendor
	if err := checkControlPlane(ctx); err != nil {
		return CreateOauth2CredentialProviderOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.createOauth2(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) createOauth2(ctx context.Context, in CreateOauth2CredentialProviderInput, source string) (CreateOauth2CredentialProviderOutput, error) {
	var v validator
	v.providerName("name", in.Name)
	v.tags("tags", in.Tags)
	validateOauth2Config(&v, in.CredentialProviderVendor, in.Oauth2ProviderConfigInput, false)
	if err := v.err(); err != nil {
		return CreateOauth2CredentialProviderOutput{}, err
	}
	cfg, sec, err := splitSecrets(in.Oauth2ProviderConfigInput, nil)
	if err != nil {
		return CreateOauth2CredentialProviderOutput{}, newError(InternalServerException, err, "cannot generate the private key")
	}
	doc := oauth2Doc{Vendor: in.CredentialProviderVendor, Config: cfg, SecretARN: b.secretARN("oauth2", in.Name),
		Tags: in.Tags, Instance: randomID(), Source: source}
	if _, err := buildProvider(in.Name, doc, sec); err != nil {
		return CreateOauth2CredentialProviderOutput{}, newError(ValidationException, err, "the credential provider configuration is unusable")
	}
	sealed, err := b.seal(kindOauth2Provider, in.Name, sec)
	if err != nil {
		return CreateOauth2CredentialProviderOutput{}, newError(InternalServerException, err, "cannot seal the client secret")
	}
	now := b.now()
	err = b.cfg.Store.CreateResource(ctx, store.Resource{Kind: kindOauth2Provider, Name: in.Name, Data: marshalDoc(doc), Secret: sealed, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return CreateOauth2CredentialProviderOutput{}, newError(ConflictException, nil, "credential provider %q already exists", in.Name)
	}
	if err != nil {
		return CreateOauth2CredentialProviderOutput{}, storeError(err)
	}
	b.providerCache.drop(in.Name)
	return CreateOauth2CredentialProviderOutput{
		ClientSecretArn:            Secret{SecretArn: doc.SecretARN},
		Name:                       in.Name,
		CredentialProviderArn:      b.oauth2ProviderARN(in.Name),
		CallbackURL:                b.CallbackURL(),
		Oauth2ProviderConfigOutput: configOutput(doc.Vendor, cfg),
		Status:                     StatusReady,
	}, nil
}

// GetOauth2CredentialProvider returns a provider without its secret.
func (b *Broker) GetOauth2CredentialProvider(ctx context.Context, in GetOauth2CredentialProviderInput) (GetOauth2CredentialProviderOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return GetOauth2CredentialProviderOutput{}, err
	}
	var v validator
	v.providerName("name", in.Name)
	if err := v.err(); err != nil {
		return GetOauth2CredentialProviderOutput{}, err
	}
	r, err := b.cfg.Store.GetResource(ctx, kindOauth2Provider, in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return GetOauth2CredentialProviderOutput{}, newError(ResourceNotFoundException, nil, "credential provider %q not found", in.Name)
	}
	if err != nil {
		return GetOauth2CredentialProviderOutput{}, storeError(err)
	}
	return b.oauth2Output(r)
}

// ListOauth2CredentialProviders lists providers by name, a page at a time.
func (b *Broker) ListOauth2CredentialProviders(ctx context.Context, in ListOauth2CredentialProvidersInput) (ListOauth2CredentialProvidersOutput, error) {
	if err := checkControlPlane(ctx); err != nil {
		return ListOauth2CredentialProvidersOutput{}, err
	}
	var v validator
	v.maxResults("maxResults", in.MaxResults, 20)
	if err := v.err(); err != nil {
		return ListOauth2CredentialProvidersOutput{}, err
	}
	rs, next, err := b.listPage(ctx, kindOauth2Provider, in.NextToken, 20, in.MaxResults)
	if err != nil {
		return ListOauth2CredentialProvidersOutput{}, err
	}
	out := ListOauth2CredentialProvidersOutput{CredentialProviders: []Oauth2CredentialProviderItem{}, NextToken: next}
	for _, r := range rs {
		var doc oauth2Doc
		json.Unmarshal(r.Data, &doc)
		out.CredentialProviders = append(out.CredentialProviders, Oauth2CredentialProviderItem{
			Name: r.Name, CredentialProviderVendor: doc.Vendor, CredentialProviderArn: b.oauth2ProviderARN(r.Name),
			CreatedTime: r.CreatedAt, LastUpdatedTime: r.UpdatedAt,
		})
	}
	return out, nil
}

// UpdateOauth2CredentialProvider replaces a provider's configuration. An
// empty client secret keeps the stored one. Providers defined in
// Config.Providers are refused with ConflictException: the configuration
// wins, and would undo the change at the next start.
func (b *Broker) UpdateOauth2CredentialProvider(ctx context.Context, in UpdateOauth2CredentialProviderInput) (UpdateOauth2CredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "UpdateOauth2CredentialProvider")
	ev.Provider = in.Name
	ev.Detail = "vendor " + in.CredentialProviderVendor
	if err := checkControlPlane(ctx); err != nil {
		return UpdateOauth2CredentialProviderOutput{}, b.finish(ctx, &ev, err)
	}
	out, err := b.updateOauth2(ctx, in, "")
	return out, b.finish(ctx, &ev, err)
}

func (b *Broker) updateOauth2(ctx context.Context, in UpdateOauth2CredentialProviderInput, source string) (UpdateOauth2CredentialProviderOutput, error) {
	var v validator
	v.providerName("name", in.Name)
	validateOauth2Config(&v, in.CredentialProviderVendor, in.Oauth2ProviderConfigInput, true)
	if err := v.err(); err != nil {
		return UpdateOauth2CredentialProviderOutput{}, err
	}
	if source == "" && b.configProviders[in.Name] {
		return UpdateOauth2CredentialProviderOutput{}, configOwned("credential provider", in.Name)
	}
	var updated store.Resource
	err := b.cfg.Store.UpdateResource(ctx, kindOauth2Provider, in.Name, func(r store.Resource) (store.Resource, error) {
		var doc oauth2Doc
		if err := json.Unmarshal(r.Data, &doc); err != nil {
			return r, newError(InternalServerException, err, "credential provider %q is unreadable", in.Name)
		}
		var old oauth2Secret
		if err := b.open(r, &old); err != nil {
			return r, newError(InternalServerException, err, "credential provider %q's secret does not open", in.Name)
		}
		cfg, sec, err := splitSecrets(in.Oauth2ProviderConfigInput, &old)
		if err != nil {
			return r, newError(InternalServerException, err, "cannot generate the private key")
		}
		if sec.ClientSecret == "" && usesSecret(cfg) {
			return r, (&validator{fields: []FieldError{{Name: cfgPrefix + vendorMember(in.CredentialProviderVendor) + ".clientSecret", Message: "Member must not be null"}}}).err()
		}
		doc.Vendor, doc.Config, doc.Source = in.CredentialProviderVendor, cfg, source
		if _, err := buildProvider(in.Name, doc, sec); err != nil {
			return r, newError(ValidationException, err, "the credential provider configuration is unusable")
		}
		sealed, err := b.seal(kindOauth2Provider, in.Name, sec)
		if err != nil {
			return r, newError(InternalServerException, err, "cannot seal the client secret")
		}
		r.Data, r.Secret, r.UpdatedAt = marshalDoc(doc), sealed, b.now()
		updated = r
		return r, nil
	})
	b.providerCache.drop(in.Name)
	if errors.Is(err, store.ErrNotFound) {
		return UpdateOauth2CredentialProviderOutput{}, newError(ResourceNotFoundException, nil, "credential provider %q not found", in.Name)
	}
	if err != nil {
		return UpdateOauth2CredentialProviderOutput{}, asError(err)
	}
	return b.oauth2Output(updated)
}

// usesSecret reports whether the configuration authenticates with a client
// secret.
func usesSecret(c Oauth2ProviderConfigInput) bool {
	return c.CustomOauth2ProviderConfig == nil || c.CustomOauth2ProviderConfig.ClientAuthenticationMethod != AuthPrivateKeyJWT
}

// DeleteOauth2CredentialProvider deletes a provider; its vault rows become
// unreachable (a provider created again under the name gets new ones).
func (b *Broker) DeleteOauth2CredentialProvider(ctx context.Context, in DeleteOauth2CredentialProviderInput) (DeleteOauth2CredentialProviderOutput, error) {
	ev := b.newEvent(ctx, "DeleteOauth2CredentialProvider")
	ev.Provider = in.Name
	err := checkControlPlane(ctx)
	if err == nil {
		err = b.deleteResource(ctx, kindOauth2Provider, in.Name, "credential provider", b.configProviders[in.Name])
	}
	b.providerCache.drop(in.Name)
	return DeleteOauth2CredentialProviderOutput{}, b.finish(ctx, &ev, err)
}

func (b *Broker) deleteResource(ctx context.Context, kind, name, what string, configOwnedName bool) error {
	var v validator
	if kind == kindWorkload {
		v.workloadName("name", name)
	} else {
		v.providerName("name", name)
	}
	if err := v.err(); err != nil {
		return err
	}
	if configOwnedName {
		return configOwned(what, name)
	}
	err := b.cfg.Store.DeleteResource(ctx, kind, name)
	if errors.Is(err, store.ErrNotFound) {
		return newError(ResourceNotFoundException, nil, "%s %q not found", what, name)
	}
	if err != nil {
		return storeError(err)
	}
	return nil
}

func configOwned(what, name string) error {
	return newError(ConflictException, nil, "%s %q is defined in the broker's configuration; change it there (the configuration wins at every start)", what, name)
}

// asError passes an *Error through and wraps anything else as a store
// failure.
func asError(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return storeError(err)
}
