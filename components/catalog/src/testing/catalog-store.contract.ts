export function describeCatalogStoreContract(): void {}
