//! `m:GetUserConfiguration`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetUserConfiguration {
    pub name: UserConfigurationName,
    pub properties: String,
}

impl OperationBody for GetUserConfiguration {
    fn parse(op: &Element) -> Result<GetUserConfiguration, EwsError> {
        Ok(GetUserConfiguration {
            name: user_configuration_name(op)?,
            properties: op
                .child_text("UserConfigurationProperties")
                .unwrap_or_else(|| "All".into()),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetUserConfiguration {
            name: cfg,
            properties,
        } = self;
        w.open(element, &[]);
        cfg.write(w, "m:UserConfigurationName");
        w.leaf("m:UserConfigurationProperties", properties);
        w.close(element);
    }
}
