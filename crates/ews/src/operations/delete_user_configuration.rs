//! `m:DeleteUserConfiguration`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct DeleteUserConfiguration {
    pub name: UserConfigurationName,
}

impl OperationBody for DeleteUserConfiguration {
    fn parse(op: &Element) -> Result<DeleteUserConfiguration, EwsError> {
        Ok(DeleteUserConfiguration {
            name: user_configuration_name(op)?,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let DeleteUserConfiguration { name: cfg } = self;
        w.open(element, &[]);
        cfg.write(w, "m:UserConfigurationName");
        w.close(element);
    }
}
