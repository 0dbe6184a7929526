export { DatasetCatalog, datasetSql, isDatasetRef, isStagedDataset, type DatasetRef, type Lineage, type StagedDataset } from './catalog.ts';
export { profileDataset, type ColumnProfile } from './profile.ts';
